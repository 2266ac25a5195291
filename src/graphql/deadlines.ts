/**
 * The execution deadline of GraphQL operations (GRAPHQL_TIMEOUT_SECONDS): every resolver races it, and a query's
 * SQL statements are bounded by the time it has left.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { NextFunction, Request, Response } from 'express';
import { defaultFieldResolver, isObjectType, type GraphQLSchema } from 'graphql';
import type { DataSource, QueryRunner } from 'typeorm';
import { QueryRejection } from './query-rejection';

class Deadline {
  private readonly endsAt: number;
  private timeoutError?: QueryRejection;
  private passing?: Promise<never>;
  private timer?: NodeJS.Timeout;

  constructor(private readonly timeoutMs: number) {
    this.endsAt = performance.now() + timeoutMs;
  }

  /** Whether the time is up. */
  get expired(): boolean {
    return performance.now() >= this.endsAt;
  }

  /**
   * Rejects when the time is up; never resolves. Made when a resolver first waits: an operation whose resolvers
   * all answer at once (`{ __typename }`, most mutations' checks) costs no timer and no promise.
   */
  get passed(): Promise<never> {
    if (!this.passing) {
      this.passing = new Promise<never>((_resolve, reject) => {
        this.timer = setTimeout(() => reject(this.error), Math.max(0, this.remainingMs()));
        this.timer.unref();
      });
      // Fields that are no longer racing must not turn the rejection into an unhandled one.
      this.passing.catch(() => undefined);
    }
    return this.passing;
  }

  /** The TIMEOUT refusal, built when first needed: almost every operation ends in time, and an error captures a stack. */
  get error(): QueryRejection {
    const seconds = this.timeoutMs / 1000;
    return (this.timeoutError ??= new QueryRejection(
      'TIMEOUT',
      `the operation ran longer than ${seconds} s (GRAPHQL_TIMEOUT_SECONDS) and was stopped`,
      { setting: 'GRAPHQL_TIMEOUT_SECONDS', maximum: seconds },
      504,
    ));
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  remainingMs(): number {
    return this.endsAt - performance.now();
  }
}

/** The deadline of each executing operation, by its context object. */
const deadlines = new WeakMap<object, Deadline>();

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * Wraps every field resolver of the schema: once the operation's deadline has passed no resolver starts,
 * and a query resolver still waiting (on the database, typically) gives up at the deadline, so the response
 * is sent on time. Mutations are never abandoned half-way: one that has started finishes (its transaction
 * commits or rolls back) and only the mutations after it are refused.
 */
export function withDeadlines(schema: GraphQLSchema): GraphQLSchema {
  const mutationType = schema.getMutationType();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const abandonable = type !== mutationType;
    for (const field of Object.values(type.getFields())) {
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context: object, info) => {
        const deadline = deadlines.get(context);
        if (!deadline) return resolve(source, args, context, info);
        if (deadline.expired) throw deadline.error;
        const result: unknown = resolve(source, args, context, info);
        return abandonable && isPromise(result) ? Promise.race([result, deadline.passed]) : result;
      };
    }
  }
  return schema;
}

/** The deadline of the GraphQL query executing in the current async context (queries only, see below). */
const operationScope = new AsyncLocalStorage<{ deadline?: Deadline }>();

/** Express middleware that opens the scope in which the request's operation records its deadline. */
export function deadlineScope(_request: Request, _response: Response, next: NextFunction): void {
  operationScope.run({}, next);
}

/** MariaDB's ER_STATEMENT_TIMEOUT and MySQL's ER_QUERY_TIMEOUT. */
const STATEMENT_TIMEOUT_ERRNOS = new Set([1969, 3024]);

function errnoOf(error: unknown): number | undefined {
  const candidate = error as { errno?: number; driverError?: { errno?: number } };
  return candidate.driverError?.errno ?? candidate.errno;
}

/**
 * On MySQL and MariaDB, each SELECT a GraphQL query sends is bounded by what is left of its deadline
 * (`SET STATEMENT max_statement_time` on MariaDB, the `MAX_EXECUTION_TIME` hint on MySQL), so the database stops
 * working for a request that has already been answered TIMEOUT. Mutations are not bounded: their statements
 * run in transactions and may start connector runs that outlive the request. SQLite runs each statement
 * synchronously in the process, so there is nothing to bound.
 */
export function boundStatementsByDeadline(dataSource: DataSource): void {
  const type = dataSource.options.type;
  if (type !== 'mysql' && type !== 'mariadb') return;
  const driver = dataSource.driver;
  const createQueryRunner = driver.createQueryRunner.bind(driver);
  driver.createQueryRunner = (mode) => {
    const runner = createQueryRunner(mode);
    const query = runner.query.bind(runner) as (sql: string, parameters?: unknown[], structured?: boolean) => Promise<unknown>;
    runner.query = (async (sql: string, parameters?: unknown[], structured?: boolean) => {
      const deadline = operationScope.getStore()?.deadline;
      if (!deadline || !/^\s*SELECT\b/i.test(sql)) return query(sql, parameters, structured);
      const remaining = Math.max(1, deadline.remainingMs());
      if (deadline.expired) throw deadline.error;
      const bounded =
        type === 'mariadb'
          ? `SET STATEMENT max_statement_time=${(remaining / 1000).toFixed(3)} FOR ${sql}`
          : sql.replace(/^\s*SELECT\b/i, `SELECT /*+ MAX_EXECUTION_TIME(${Math.ceil(remaining)}) */`);
      try {
        return await query(bounded, parameters, structured);
      } catch (error) {
        if (STATEMENT_TIMEOUT_ERRNOS.has(errnoOf(error) ?? 0)) throw deadline.error;
        throw error;
      }
    }) as QueryRunner['query'];
    return runner;
  };
}


/**
 * Starts the deadline of an operation executing with `contextValue` (its resolvers race it; a query's statements are
 * bounded by it); returns what ends it.
 */
export function startDeadline(contextValue: object, isQuery: boolean, timeoutMs: number): () => void {
  const deadline = new Deadline(timeoutMs);
  deadlines.set(contextValue, deadline);
  const scope = isQuery ? operationScope.getStore() : undefined;
  if (scope) scope.deadline = deadline;
  return () => {
    deadline.clear();
    deadlines.delete(contextValue);
    if (scope?.deadline === deadline) scope.deadline = undefined;
  };
}
