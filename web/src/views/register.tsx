import { useState, type FormEvent } from 'react';
import { graphql, SignedOut } from '../api';
import { useConsole, useQuery } from '../context';
import { CONNECTOR_KINDS, EDIT_CONNECTOR, PREVIEW_CONNECTOR, REGISTER_CONNECTOR, TEST_CONNECTOR, UPDATE_CONNECTOR } from '../operations';
import { Loaded } from './common';

interface JsonSchema { type?: string | string[]; description?: string; enum?: unknown[]; properties?: Record<string, JsonSchema>; required?: string[]; default?: unknown }
interface Kind { kind: string; description: string; pulled: boolean; secretNames: string[]; configSchema: JsonSchema }

const scalar = (schema: JsonSchema) => {
  const type = Array.isArray(schema.type) ? schema.type.find((candidate) => candidate !== 'null') : schema.type;
  return schema.enum ? 'enum' : type === 'string' || type === 'number' || type === 'integer' || type === 'boolean' ? type : 'json';
};

/** The configuration form of a kind, generated from its JSON Schema (`connectorKinds { configSchema }`). */
function ConfigFields({ schema, values, onChange }: { schema: JsonSchema; values: Record<string, string>; onChange: (name: string, value: string) => void }) {
  return (
    <>
      {Object.entries(schema.properties ?? {}).map(([name, property]) => {
        const id = `config-${name}`;
        const kind = scalar(property);
        const required = schema.required?.includes(name) ?? false;
        const label = <label htmlFor={id}>{name}{required ? ' *' : ''}{property.description ? <span className="hint"> — {property.description}</span> : null}</label>;
        if (kind === 'enum') {
          return <div className="field" key={name}>{label}<select id={id} value={values[name] ?? ''} onChange={(event) => onChange(name, event.target.value)}><option value="" />{property.enum!.map((option) => <option key={String(option)} value={String(option)}>{String(option)}</option>)}</select></div>;
        }
        if (kind === 'boolean') {
          return <div className="field" key={name}>{label}<select id={id} value={values[name] ?? ''} onChange={(event) => onChange(name, event.target.value)}><option value="" /><option value="true">true</option><option value="false">false</option></select></div>;
        }
        if (kind === 'json') {
          return <div className="field" key={name}>{label}<textarea id={id} rows={3} value={values[name] ?? ''} placeholder="JSON / text" onChange={(event) => onChange(name, event.target.value)} /></div>;
        }
        return <div className="field" key={name}>{label}<input id={id} type={kind === 'string' ? 'text' : 'number'} required={required} value={values[name] ?? ''} onChange={(event) => onChange(name, event.target.value)} /></div>;
      })}
    </>
  );
}

/** A field whose schema allows several types: JSON when it reads as JSON, else the text itself. */
function parsedOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Form values as the configuration object: numbers, booleans and JSON parsed; empty fields left out. */
function configOf(schema: JsonSchema, values: Record<string, string>): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const text = values[name]?.trim();
    if (!text) continue;
    const kind = scalar(property);
    if (kind === 'number' || kind === 'integer') config[name] = Number(text);
    else if (kind === 'boolean') config[name] = text === 'true';
    else if (kind === 'json') config[name] = parsedOrText(text);
    else config[name] = text;
  }
  return config;
}

/** A stored configuration as the form's text values (the inverse of configOf for the schema's fields). */
function valuesOf(schema: JsonSchema, config: Record<string, unknown>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const value = config[name];
    if (value === undefined || value === null) continue;
    const kind = scalar(property);
    values[name] = kind === 'json' && typeof value !== 'string' ? JSON.stringify(value) : String(value);
  }
  return values;
}

interface PreviewResult { ok: boolean; message: string; samples: Array<Record<string, unknown>>; rows: Array<Record<string, unknown>>; rejections: Array<{ rowIndex: number; reason: string; message: string; raw: unknown }> }

/** A table of records: one column per field any of them has. */
function RecordTable({ caption, records }: { caption: string; records: Array<Record<string, unknown>> }) {
  const fields = [...new Set(records.flatMap((record) => Object.keys(record)))];
  return (
    <div className="scroll">
      <table>
        <caption>{caption} ({records.length})</caption>
        <thead><tr><th scope="col" className="num">#</th>{fields.map((field) => <th scope="col" key={field}>{field}</th>)}</tr></thead>
        <tbody>{records.map((record, index) => <tr key={index}><td className="num">{index}</td>{fields.map((field) => <td key={field}>{JSON.stringify(record[field] ?? null)}</td>)}</tr>)}</tbody>
      </table>
    </div>
  );
}

/** previewConnector's answer: the samples next to the rows they make and the rejections those would raise. */
function Preview({ preview }: { preview: PreviewResult }) {
  const { t } = useConsole();
  return (
    <section aria-labelledby="preview-heading" className="preview" data-preview-ok={String(preview.ok)}>
      <h2 id="preview-heading">{t('previewHeading')}: {preview.ok ? t('yes') : t('no')}</h2>
      <p>{preview.message} {t('previewNothingSaved')}</p>
      <div className="preview-columns">
        <RecordTable caption={t('previewSamples')} records={preview.samples} />
        <RecordTable caption={t('previewRows')} records={preview.rows} />
      </div>
      <div className="scroll">
        <table>
          <caption>{t('rejections')} ({preview.rejections.length})</caption>
          <thead><tr><th scope="col" className="num">{t('row')}</th><th scope="col">{t('reason')}</th><th scope="col">{t('message')}</th><th scope="col">{t('raw')}</th></tr></thead>
          <tbody>{preview.rejections.map((row) => <tr key={row.rowIndex}><td className="num">{row.rowIndex}</td><td>{row.reason}</td><td>{row.message}</td><td><code>{JSON.stringify(row.raw)}</code></td></tr>)}</tbody>
        </table>
      </div>
    </section>
  );
}

interface TestResult { ok: boolean; message: string; warnings: string[]; streams: Array<{ name: string; fields: string[]; sample: Array<Record<string, unknown>> }> }

/** A saved connector as the edit form starts from (secrets only by name: their values never leave the hub). */
interface Existing { id: string; name: string; kind: string; department: { code: string }; schedule: string | null; config: Record<string, unknown>; mapping: Record<string, unknown>; version: number; secretNames: string[] }

/**
 * The connector form, generated from the kind's JSON Schema: registration (`registerConnector`) or, given an
 * existing connector, its edit prefilled with the current definition (`updateConnector` with `expectedVersion`: a
 * change made meanwhile is refused as CONFLICT). Secrets are shown as set / not set and sent only when typed.
 * Once saved, a test (`testConnector`) shows sample source records.
 */
function ConnectorForm({ kinds, existing }: { kinds: Kind[]; existing?: Existing }) {
  const { t, viewer, signOut } = useConsole();
  const [kind, setKind] = useState(existing?.kind ?? '');
  const chosen = kinds.find((candidate) => candidate.kind === kind);
  const [base, setBase] = useState(() => ({
    name: existing?.name ?? '',
    department: existing?.department.code ?? viewer.departments?.[0]?.code ?? '',
    schedule: existing?.schedule ?? '',
    mapping: existing ? JSON.stringify(existing.mapping, null, 2) : '',
  }));
  const [values, setValues] = useState<Record<string, string>>(() => (existing && chosen ? valuesOf(chosen.configSchema, existing.config) : {}));
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [saved, setSaved] = useState<{ id: string; name: string; version?: number } | null>(null);
  const [test, setTest] = useState<TestResult | null>(null);
  const [preview, setPreview] = useState<PreviewResult | null>(null);
  const fail = (error: unknown) => (error instanceof SignedOut ? signOut(true) : setFailure((error as Error).message));
  const secretNames = [...new Set([...(chosen?.secretNames ?? []), ...(existing?.secretNames ?? [])])];
  /** The whole definition as the form has it (what previewConnector checks; registration sends the same). */
  const definition = () => {
    const typed = Object.entries(secrets).filter(([, value]) => value !== '').map(([name, value]) => ({ name, value }));
    const mapping = base.mapping.trim() ? (JSON.parse(base.mapping) as Record<string, unknown>) : null;
    return { name: base.name, kind, department: base.department, schedule: base.schedule || null, config: configOf(chosen!.configSchema, values), mapping, ...(typed.length > 0 ? { secrets: typed } : {}) };
  };
  const showPreview = async () => {
    setFailure(null);
    setPreview(null);
    try {
      const { previewConnector } = await graphql<{ previewConnector: PreviewResult }>(PREVIEW_CONNECTOR, { input: definition(), id: existing?.id ?? null });
      setPreview(previewConnector);
    } catch (error) {
      fail(error);
    }
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFailure(null);
    setPreview(null);
    setSaved(null);
    setTest(null);
    try {
      const config = configOf(chosen!.configSchema, values);
      const mapping = base.mapping.trim() ? (JSON.parse(base.mapping) as Record<string, unknown>) : null;
      const typed = Object.entries(secrets).filter(([, value]) => value !== '').map(([name, value]) => ({ name, value }));
      let target: { id: string; name: string; version?: number };
      if (existing) {
        // Only what changed: an unchanged mapping keeps its version, an untouched secret stays as it is.
        const input: Record<string, unknown> = { expectedVersion: existing.version, config };
        if (base.name !== existing.name) input.name = base.name;
        if (base.schedule && base.schedule !== (existing.schedule ?? '')) input.schedule = base.schedule;
        if (mapping && JSON.stringify(mapping) !== JSON.stringify(existing.mapping)) input.mapping = mapping;
        if (typed.length > 0) input.secrets = typed;
        target = (await graphql<{ updateConnector: { id: string; name: string; version: number } }>(UPDATE_CONNECTOR, { id: existing.id, input })).updateConnector;
      } else {
        const input = definition();
        target = (await graphql<{ registerConnector: { id: string; name: string } }>(REGISTER_CONNECTOR, { input })).registerConnector;
      }
      setSaved(target);
      setSecrets({});
      const { testConnector } = await graphql<{ testConnector: TestResult }>(TEST_CONNECTOR, { id: target.id });
      setTest(testConnector);
    } catch (error) {
      fail(error);
    }
  };
  return (
    <>
      <form className="register" onSubmit={submit}>
        <div className="field"><label htmlFor="kind">{t('kind')} *</label>
          <select id="kind" required disabled={Boolean(existing)} value={kind} onChange={(event) => { setKind(event.target.value); setValues({}); }}>
            <option value="" />
            {kinds.map((candidate) => <option key={candidate.kind} value={candidate.kind}>{candidate.kind} — {candidate.description}</option>)}
          </select>
        </div>
        <div className="field"><label htmlFor="connector-name">{t('name')} *</label><input id="connector-name" required value={base.name} onChange={(event) => setBase({ ...base, name: event.target.value })} /></div>
        <div className="field"><label htmlFor="connector-department">{t('department')} *</label><input id="connector-department" required disabled={Boolean(existing)} value={base.department} onChange={(event) => setBase({ ...base, department: event.target.value })} /></div>
        <div className="field"><label htmlFor="connector-schedule">{t('schedule')} (cron){chosen?.pulled ? ' *' : ''}</label><input id="connector-schedule" required={chosen?.pulled ?? false} placeholder="*/15 * * * *" value={base.schedule} onChange={(event) => setBase({ ...base, schedule: event.target.value })} /></div>
        {chosen && <fieldset><legend>{t('configuration')}</legend><ConfigFields schema={chosen.configSchema} values={values} onChange={(name, value) => setValues({ ...values, [name]: value })} /></fieldset>}
        {secretNames.length > 0 && (
          <fieldset>
            <legend>{t('secrets')}</legend>
            {secretNames.map((name) => (
              <div className="field" key={name}>
                <label htmlFor={`secret-${name}`}>{name}{existing ? <span className="hint"> — {existing.secretNames.includes(name) ? t('set') : t('notSet')}; {t('secretUnchanged')}</span> : null}</label>
                <input id={`secret-${name}`} type="password" autoComplete="off" value={secrets[name] ?? ''} onChange={(event) => setSecrets({ ...secrets, [name]: event.target.value })} />
              </div>
            ))}
          </fieldset>
        )}
        <div className="field"><label htmlFor="connector-mapping">{t('mapping')} (JSON)</label><textarea id="connector-mapping" rows={6} value={base.mapping} onChange={(event) => setBase({ ...base, mapping: event.target.value })} /></div>
        <p className="actions">
          <button type="button" disabled={!chosen} onClick={() => void showPreview()}>{t('preview')}</button>
          <button type="submit" disabled={!chosen}>{existing ? t('saveAndTest') : t('registerAndTest')}</button>
        </p>
      </form>
      {failure && <p role="alert" className="error">{failure}</p>}
      {preview && <Preview preview={preview} />}
      {saved && <p role="status">{existing ? t('saved') : t('registered')}: <a href={`#/connectors/${encodeURIComponent(saved.id)}`}>{saved.name}</a>{saved.version ? ` (${t('version')} ${saved.version})` : ''}</p>}
      {test && (
        <section aria-labelledby="test-heading">
          <h2 id="test-heading">{t('testResult')}: {test.ok ? t('yes') : t('no')}</h2>
          <p>{test.message}</p>
          {test.warnings.map((warning) => <p key={warning} className="notice">{warning}</p>)}
          {test.streams.map((stream) => (
            <div className="scroll" key={stream.name}>
              <table>
                <caption>{stream.name}</caption>
                <thead><tr>{stream.fields.map((field) => <th scope="col" key={field}>{field}</th>)}</tr></thead>
                <tbody>{stream.sample.map((record, index) => <tr key={index}>{stream.fields.map((field) => <td key={field}>{JSON.stringify(record[field] ?? null)}</td>)}</tr>)}</tbody>
              </table>
            </div>
          ))}
        </section>
      )}
    </>
  );
}

/** Register a connector: a form generated from the kind's schema; once saved, a test shows sample source records. */
export function RegisterConnectorPage() {
  const { t } = useConsole();
  const state = useQuery<{ connectorKinds: Kind[] }>(CONNECTOR_KINDS, {});
  return (
    <Loaded state={state}>
      {({ connectorKinds }) => (
        <>
          <p><a href="#/connectors">← {t('navConnectors')}</a></p>
          <h1>{t('registerConnector')}</h1>
          <ConnectorForm kinds={connectorKinds} />
        </>
      )}
    </Loaded>
  );
}

/** Edit a connector through the same generated form, prefilled with its current definition. */
export function EditConnectorPage({ id }: { id: string }) {
  const { t } = useConsole();
  const state = useQuery<{ connector: Existing | null; connectorKinds: Kind[] }>(EDIT_CONNECTOR, { id });
  return (
    <Loaded state={state}>
      {({ connector, connectorKinds }) => (
        <>
          <p><a href={`#/connectors/${encodeURIComponent(id)}`}>← {connector?.name ?? t('navConnectors')}</a></p>
          <h1>{t('editConnector')}</h1>
          {connector ? <ConnectorForm key={`${connector.id}:${connector.version}`} kinds={connectorKinds} existing={connector} /> : <p>{t('notFound')}</p>}
        </>
      )}
    </Loaded>
  );
}
