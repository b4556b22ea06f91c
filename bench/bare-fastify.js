// The HTTP ceiling: a bare Fastify server answering GET /products/:id with a fixed JSON body.
const fastify = require('fastify')({ logger: false });
const body = process.env.BARE_BODY ?? '{}';
fastify.get('/products/:id', async (_request, reply) => reply.header('content-type', 'application/json; charset=utf-8').send(body));
fastify.listen({ port: Number(process.env.PORT ?? 3302), host: '127.0.0.1' }).then((url) => console.log(`bare fastify listening ${url}`));
