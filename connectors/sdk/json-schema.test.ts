import { z } from 'zod';
import { connectorKind, CONNECTOR_KIND_NAMES } from '../registry';
import { toJsonSchema } from './json-schema';

describe('toJsonSchema', () => {
  it('describes fields, required ones, defaults, enumerations, bounds and patterns', () => {
    const schema = z
      .object({
        url: z.string().url().max(2000),
        method: z.enum(['GET', 'POST']).default('GET'),
        size: z.number().int().min(1).max(100),
        ratio: z.number().gt(0).optional(),
        code: z.string().regex(/^[A-Z]+$/),
        tags: z.array(z.string().min(1)).min(1).optional(),
        labels: z.record(z.string(), z.string()).optional(),
        mode: z.union([z.literal(''), z.string().min(2)]).default(''),
        checked: z.string().refine((text) => text !== 'x', 'not x'),
        note: z.string().nullable().optional(),
      })
      .strict();
    expect(toJsonSchema(schema)).toEqual({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        url: { type: 'string', format: 'uri', maxLength: 2000 },
        method: { type: 'string', enum: ['GET', 'POST'], default: 'GET' },
        size: { type: 'integer', minimum: 1, maximum: 100 },
        ratio: { type: 'number', exclusiveMinimum: 0 },
        code: { type: 'string', pattern: '^[A-Z]+$' },
        tags: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        mode: { anyOf: [{ const: '' }, { type: 'string', minLength: 2 }], default: '' },
        checked: { type: 'string' },
        note: { anyOf: [{ type: 'string' }, { type: 'null' }] },
      },
      required: ['url', 'size', 'code', 'checked'],
      additionalProperties: false,
    });
  });

  it('ends a recursive schema at its second appearance', () => {
    type Tree = { children?: Tree[] };
    const tree: z.ZodType<Tree> = z.lazy(() => z.object({ children: z.array(tree).optional() }).strict());
    expect(toJsonSchema(tree)).toEqual({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: { children: { type: 'array', items: {} } },
      additionalProperties: false,
    });
  });

  it('gives every connector kind an object schema that refuses unknown fields', () => {
    for (const name of CONNECTOR_KIND_NAMES) {
      const kind = connectorKind(name)!;
      const schema = toJsonSchema(kind.configSchema as z.ZodTypeAny);
      expect({ name, type: schema.type, additionalProperties: schema.additionalProperties }).toEqual({ name, type: 'object', additionalProperties: false });
    }
    expect(toJsonSchema(connectorKind('push')!.configSchema as z.ZodTypeAny).properties).toEqual({
      maxRowsPerPush: { type: 'integer', minimum: 1, maximum: 200_000, default: 50_000 },
    });
    expect(toJsonSchema(connectorKind('sql')!.configSchema as z.ZodTypeAny).required).toEqual(['host', 'database', 'user', 'query']);
  });

  it('knows which kinds the hub pulls: all but push', () => {
    expect(CONNECTOR_KIND_NAMES.filter((name) => !connectorKind(name)!.pulled)).toEqual(['push']);
  });
});
