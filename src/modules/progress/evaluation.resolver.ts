import { Arg, Authorized, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { scopeOf, type HubContext } from '../../graphql/context';
import { withBasePath } from '../../http/console';
import { toGlobalId } from '../../graphql/node-id';
import { ALL_ROLES, reveal } from '../../security/access';
import { RunErrorClass, RunStatus } from '../connectors/connector.entity';
import { buildEvaluation, checkedWeights, type EvaluationData, type RunFigures } from './evaluation';
import { DEFAULT_PROGRAM } from './progress-report';
import { snapshotFor } from './progress.queries';
import { Evaluation, EvaluationQuality, EvaluationRuns, EvaluationWeightsInput } from './evaluation.types';

@Resolver()
export class EvaluationResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => Evaluation, {
    description:
      'The year-end evaluation of the departments for a year: tasks due completed on time / late / not done, models completed, ' +
      'data freshness and quality, a weighted score and a ranking, with the items behind every figure (docs/analytics.md).',
  })
  async evaluation(
    @Ctx() context: HubContext,
    @Arg('year', () => Int, { description: 'The year evaluated, from 2000 to the current year (judged as of today while it runs).' }) year: number,
    @Arg('program', () => String, { defaultValue: DEFAULT_PROGRAM, description: 'Code of the programme; default DA06.' }) program: string,
    @Arg('weights', () => EvaluationWeightsInput, { nullable: true, description: 'Weights overriding the settings for this query.' }) weights?: EvaluationWeightsInput | null,
  ): Promise<EvaluationData> {
    const scope = scopeOf(context);
    return buildEvaluation(
      scope.dataSource,
      scope.timeZone,
      { year, today: scope.today, program, weights: checkedWeights(context.config.evaluation, weights), principal: scope.principal },
      (window) => snapshotFor(scope, window),
    );
  }
}

/** The evaluation's downloads, under PUBLIC_BASE_PATH. */
@Resolver(() => Evaluation)
export class EvaluationLinksResolver {
  @FieldResolver(() => String, { description: 'Path of the CSV download (one row per department, Vietnamese headings with English names), under PUBLIC_BASE_PATH.' })
  csvUrl(@Root() evaluation: EvaluationData, @Ctx() context: HubContext): string {
    return withBasePath(context.config.http.publicBasePath, evaluation.csvUrl);
  }

  @FieldResolver(() => String, { description: 'Path of the Markdown download, under PUBLIC_BASE_PATH.' })
  markdownUrl(@Root() evaluation: EvaluationData, @Ctx() context: HubContext): string {
    return withBasePath(context.config.http.publicBasePath, evaluation.markdownUrl);
  }

  @FieldResolver(() => String, { description: 'Path of the XLSX workbook download, under PUBLIC_BASE_PATH.' })
  xlsxUrl(@Root() evaluation: EvaluationData, @Ctx() context: HubContext): string {
    return withBasePath(context.config.http.publicBasePath, evaluation.xlsxUrl);
  }
}

/** The run figures: FORBIDDEN (null) where they were withheld from the caller. */
@Resolver(() => EvaluationQuality)
export class EvaluationQualityResolver {
  @FieldResolver(() => EvaluationRuns, { nullable: true })
  runs(@Root() quality: EvaluationData['rows'][number]['dataQuality']): EvaluationRuns {
    const runs: RunFigures = reveal(quality.runs);
    return {
      ...runs,
      failed: runs.failed.map((run) => ({
        runId: toGlobalId('ConnectorRun', run.runId),
        connector: run.connector,
        status: run.status as RunStatus,
        errorClass: run.errorClass as RunErrorClass | null,
      })),
    };
  }
}
