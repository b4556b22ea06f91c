// The HTTP ceiling: a bare Fastify server answering GET /products/:id (and POST /orders) with a fixed JSON body.
// BARE_HEADERS='{"name":"value",…}' adds response headers (what a header costs the server and the load generator).
const fastify = require('fastify')({ logger: false });
const body = process.env.BARE_BODY ?? '{}';
const headers = { ...JSON.parse(process.env.BARE_HEADERS ?? '{}'), 'content-type': 'application/json; charset=utf-8' };
fastify.get('/products/:id', async (_request, reply) => reply.headers(headers).send(body));
// The same for order intake: parse the JSON body, answer 202 with a fixed order.
fastify.post('/orders', async (_request, reply) => reply.status(202).header('location', '/orders/1').send({ id: 1, status: 'pending' }));
fastify.listen({ port: Number(process.env.PORT ?? 3302), host: '127.0.0.1' }).then((url) => console.log(`bare fastify listening ${url}`));
