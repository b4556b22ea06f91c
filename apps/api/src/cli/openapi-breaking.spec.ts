import { breakingChanges } from './openapi-breaking';

const base = () => ({
  info: { version: '1.2.0' },
  paths: {
    '/items/{id}': {
      get: {
        parameters: [{ in: 'path', name: 'id', required: true, schema: { type: 'integer' } }, { in: 'query', name: 'fields', required: false, schema: { type: 'string' } }],
        responses: { '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/Item' } } } }, '404': {} },
      },
      patch: {
        requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/ItemPatch' } } } },
        responses: { '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/Item' } } } } },
      },
    },
  },
  components: {
    schemas: {
      Item: { type: 'object', properties: { id: { type: 'integer' }, status: { $ref: '#/components/schemas/Status' }, tags: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } } } },
      Status: { type: 'string', enum: ['new', 'old'] },
      ItemPatch: { type: 'object', required: [], properties: { name: { type: 'string' }, status: { $ref: '#/components/schemas/Status' } } },
    },
  },
});
type Doc = ReturnType<typeof base>;
const changed = (change: (doc: Doc) => void) => {
  const doc = base();
  change(doc);
  return breakingChanges(base(), doc);
};

describe('breakingChanges (the OpenAPI check of CI)', () => {
  it('accepts the same document, and additions', () => {
    expect(changed(() => undefined)).toEqual([]);
    expect(
      changed((doc) => {
        (doc.components.schemas.Item.properties as Record<string, unknown>).extra = { type: 'string' };
        doc.components.schemas.Status.enum.push('archived');
        (doc.paths as Record<string, unknown>)['/more'] = { get: { responses: { '200': {} } } };
        delete (doc.paths['/items/{id}'].get.responses as Record<string, unknown>)['404'];
      }),
    ).toEqual([]);
  });

  it('finds a removed operation, answer field (nested too), and enum value', () => {
    expect(changed((doc) => delete (doc.paths['/items/{id}'] as Record<string, unknown>).patch)).toEqual(['PATCH /items/{id}: removed']);
    expect(changed((doc) => delete (doc.components.schemas.Item.properties as Record<string, unknown>).id)).toEqual(['GET /items/{id} 200: field "id" removed', 'PATCH /items/{id} 200: field "id" removed']);
    expect(changed((doc) => delete (doc.components.schemas.Item.properties.tags.items.properties as Record<string, unknown>).name)).toContain('GET /items/{id} 200.tags[]: field "name" removed');
    expect(changed((doc) => (doc.components.schemas.Status.enum = ['new']))).toEqual(
      expect.arrayContaining(['GET /items/{id} 200.status: enum value "old" removed', 'PATCH /items/{id} body.status: accepted value "old" removed']),
    );
  });

  it('finds an input that became required', () => {
    expect(changed((doc) => (doc.paths['/items/{id}'].get.parameters[1].required = true))).toEqual(['GET /items/{id}: parameter fields became required']);
    expect(changed((doc) => (doc.components.schemas.ItemPatch.required = ['name'] as never))).toEqual(['PATCH /items/{id} body: "name" became required']);
  });

  it('allows anything with a new major version', () => {
    expect(
      changed((doc) => {
        doc.info.version = '2.0.0';
        delete (doc.paths as Record<string, unknown>)['/items/{id}'];
      }),
    ).toEqual([]);
  });
});
