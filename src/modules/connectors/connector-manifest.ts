/**
 * The JSON Schema (draft 2020-12) of connector manifests — the YAML files `pilothub connectors apply` reads
 * (docs/cli.md) — generated from each kind's configuration schema and the mapping schema the hub validates with,
 * so editors validate and complete manifests as the hub would. Served at GET /schemas/connector-manifest.json.
 */
import { connectorKind, CONNECTOR_KIND_NAMES } from '../../../connectors/registry';
import { toJsonSchema, type JsonSchema } from '../../../connectors/sdk/json-schema';
import { connectorMappingSchema } from '../../../connectors/sdk/mapping';
import { LOOKBACK_MAX, NAME_MAX } from './connector.service';

export const MANIFEST_API_VERSION = 'pilothub/v1';
/** Environment variable names a secret may be read from. */
export const ENV_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';

/** A nested schema: the draft marker belongs to the document only. */
function nested(schema: JsonSchema): JsonSchema {
  return Object.fromEntries(Object.entries(schema).filter(([key]) => key !== '$schema'));
}

let built: JsonSchema | null = null;

export function connectorManifestSchema(): JsonSchema {
  built ??= build();
  return built;
}

function build(): JsonSchema {
  const kinds = CONNECTOR_KIND_NAMES.map((name) => connectorKind(name)!);
  const secretRef = {
    type: 'object',
    description: 'Where the value comes from when the manifest is applied; values are never written in manifests.',
    properties: { fromEnv: { type: 'string', pattern: ENV_NAME_PATTERN, description: 'Name of the environment variable holding the value.' } },
    required: ['fromEnv'],
    additionalProperties: false,
  };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'connector-manifest.json',
    title: 'PilotHub connector manifest',
    description: 'A connector as code (pilothub connectors apply -f <file>); see docs/cli.md.',
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', 'spec'],
    additionalProperties: false,
    properties: {
      apiVersion: { const: MANIFEST_API_VERSION },
      kind: { const: 'Connector' },
      metadata: {
        type: 'object',
        required: ['name', 'department'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', minLength: 3, maxLength: NAME_MAX, description: 'Name, unique within the department; apply finds the connector by department and name.' },
          department: { type: 'string', minLength: 1, description: 'Code of the department, e.g. SO_YT.' },
        },
      },
      spec: {
        type: 'object',
        required: ['kind', 'config'],
        additionalProperties: false,
        properties: {
          kind: { type: 'string', enum: [...CONNECTOR_KIND_NAMES], description: 'Connector kind.' },
          schedule: { type: 'string', description: 'Cron expression (5 fields, or 6 with seconds); required for pulled kinds, absent for push.' },
          timeZone: { type: 'string', description: 'IANA time zone of the schedule (default the hub’s), e.g. Asia/Ho_Chi_Minh.' },
          lookbackDays: { type: 'integer', minimum: 0, maximum: LOOKBACK_MAX, default: 7, description: 'Days a routine run reads back from today.' },
          maxWindowDays: { type: 'integer', minimum: 1, maximum: LOOKBACK_MAX, description: 'Longest window one read covers; default unlimited.' },
          config: { type: 'object', description: 'Kind-specific configuration (never credentials).' },
          mapping: { ...nested(toJsonSchema(connectorMappingSchema)), description: 'Source fields → metric, unit, period, value (or numerator and denominator); default for push: the hub’s own field names.' },
          secrets: { type: 'object', description: 'Credentials by secret name, each read from an environment variable.', additionalProperties: secretRef },
        },
        allOf: kinds.map((kind) => ({
          if: { properties: { kind: { const: kind.kind } }, required: ['kind'] },
          then: {
            properties: {
              config: { ...nested(toJsonSchema(kind.configSchema)), description: kind.description },
              secrets: { type: 'object', propertyNames: { enum: [...kind.secretNames] }, additionalProperties: secretRef },
              ...(kind.pulled ? {} : { schedule: false, mapping: nested(toJsonSchema(connectorMappingSchema)) }),
            },
            ...(kind.pulled ? { required: ['schedule', 'mapping'] } : {}),
          },
        })),
      },
    },
  };
}
