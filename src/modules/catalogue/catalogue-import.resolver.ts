import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Authorized, Ctx, Field, Int, Mutation, ObjectType, registerEnumType, Resolver } from 'type-graphql';
import { badInput, HubError } from '../../common/errors';
import { scopeOf, type HubContext } from '../../graphql/context';
import { listCost } from '../../graphql/limits';
import { ADMIN_ONLY } from '../../security/access';
import { DEFAULT_IMPORT_NOTE, importCatalogueFile, type ImportResult } from './catalogue-import';
import { MAX_IMPORT_BYTES } from './catalogue-import-read';

export enum CatalogueFileFormat {
  XLSX = 'xlsx',
  CSV = 'csv',
}
registerEnumType(CatalogueFileFormat, {
  name: 'CatalogueFileFormat',
  description: 'The format of an imported catalogue file.',
  valuesConfig: { XLSX: { description: 'An XLSX workbook with the export’s sheets.' }, CSV: { description: 'One sheet as CSV (UTF-8), named by `sheet`.' } },
});

@ObjectType({ description: 'A problem of an imported file, at its sheet, row and column.' })
class CatalogueImportProblem {
  @Field({ description: 'The sheet, e.g. Tasks.' })
  sheet: string;

  @Field(() => Int, { nullable: true, description: 'The row as the spreadsheet numbers it (the headings are row 1); null for a problem of the whole sheet.' })
  row: number | null;

  @Field(() => String, { nullable: true, description: 'The column (its English name, e.g. deadline), or the heading not understood; null for a problem of the row or sheet.' })
  column: string | null;

  @Field({ description: 'What is wrong, in Vietnamese with the English beside it.' })
  message: string;
}

@ObjectType({ description: 'The change an import makes to one row’s item.' })
class CatalogueImportChange {
  @Field({ description: 'The sheet.' })
  sheet: string;

  @Field(() => Int, { description: 'The row as the spreadsheet numbers it.' })
  row: number;

  @Field({ description: 'The item’s code.' })
  code: string;

  @Field({ description: 'create, update, unchanged or retire.' })
  action: string;

  @Field(() => GraphQLJSONObject, { description: 'Each field written, by column name, with its value before and after: { "deadline": { "from": "2024-03-31", "to": "2025-06-30" } }.' })
  fields: Record<string, { from: unknown; to: unknown }>;
}

@ObjectType({ description: 'Rows of an import per action.' })
class CatalogueImportSummary {
  @Field(() => Int, { description: 'Items created.' })
  create: number;

  @Field(() => Int, { description: 'Items amended.' })
  update: number;

  @Field(() => Int, { description: 'Rows that change nothing.' })
  unchanged: number;

  @Field(() => Int, { description: 'Items retired.' })
  retire: number;
}

@ObjectType({ description: 'A catalogue import: its problems and changes, and whether they were written.' })
class CatalogueImportResult {
  @Field({ description: 'True when the changes were written (apply asked and no problem found).' })
  applied: boolean;

  @Field(() => CatalogueImportSummary, { description: 'Rows per action.' })
  summary: CatalogueImportSummary;

  @Field(() => [CatalogueImportProblem], { complexity: listCost, description: 'Every problem found; none when the file can be applied.' })
  problems: CatalogueImportProblem[];

  @Field(() => [CatalogueImportChange], { complexity: listCost, description: 'Every row’s change, in the order of the sheets and rows.' })
  changes: CatalogueImportChange[];
}

@Resolver()
export class CatalogueImportResolver {
  @Authorized(...ADMIN_ONLY)
  @Mutation(() => CatalogueImportResult, {
    description:
      'Imports the catalogue from a spreadsheet (docs/catalogue.md, "Spreadsheet import"): a dry run unless apply is true; applied in one transaction, with history, only when no row has a problem. POST /catalogue/import takes the file as the body.',
  })
  async importCatalogue(
    @Arg('file', { description: 'The file, base64-encoded (within the GraphQL body limit; larger files go to POST /catalogue/import).' }) file: string,
    @Arg('format', () => CatalogueFileFormat, { defaultValue: CatalogueFileFormat.XLSX, description: 'XLSX (the default) or CSV.' }) format: CatalogueFileFormat,
    @Arg('sheet', () => String, { nullable: true, description: 'The sheet a CSV file holds, e.g. Tasks (CSV only).' }) sheet: string | null,
    @Arg('apply', { defaultValue: false, description: 'Write the changes (false: a dry run).' }) apply: boolean,
    @Arg('note', () => String, { nullable: true, description: 'Why: kept in every history record the import writes.' }) note: string | null,
    @Ctx() context: HubContext,
  ): Promise<ImportResult> {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(file.replace(/\s+/g, ''))) throw badInput('file', 'must be base64');
    const content = Buffer.from(file, 'base64');
    if (content.length === 0) throw badInput('file', 'is empty');
    if (content.length > MAX_IMPORT_BYTES) throw badInput('file', `must be at most ${MAX_IMPORT_BYTES} bytes`);
    if (format === CatalogueFileFormat.XLSX && sheet != null) throw badInput('sheet', 'only with format CSV (a workbook names its sheets)');
    const scope = scopeOf(context);
    try {
      return await importCatalogueFile(scope.dataSource, { content, format, sheet: sheet ?? undefined }, {
        apply,
        author: scope.actor,
        note: note ?? DEFAULT_IMPORT_NOTE,
        today: scope.today,
        timeZone: scope.timeZone,
      });
    } catch (error) {
      // The reader names the file as the REST route receives it (the body); here it is the `file` argument.
      if (error instanceof HubError && error.field === 'body') throw new HubError(error.code, error.message.replace(/^body: /, 'file: '), 'file', error.details);
      throw error;
    }
  }
}
