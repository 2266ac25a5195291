import type { GraphQLResolveInfo } from 'graphql';
import { connectionCost, listCost } from '../graphql/limits';
import { Arg, Args, Authorized, Ctx, Field, FieldResolver, ID, Info, InputType, ObjectType, Query, Mutation, Resolver, Root, registerEnumType } from 'type-graphql';
import { SortDirection } from '../common/enums';
import { connectionType, PageArgs, rootConnection, type Connection } from '../graphql/connection';
import type { HubContext } from '../graphql/context';
import { Department } from '../modules/departments/department.entity';
import { ADMIN_ONLY, ALL_ROLES } from './access';
import { ApiKey } from './api-key.entity';
import { apiKeysQuery } from './api-key.service';
import { Role } from './principal';
import { parseNodeId } from '../graphql/node-id';

const ApiKeyConnection = connectionType(ApiKey, 'ApiKey');

@InputType({ description: 'A new API key.' })
class ApiKeyInput {
  @Field({ description: 'What the key is for, e.g. "Health department push" (1 to 200 characters).' })
  name: string;

  @Field(() => Role, { description: 'What the key may do: ADMIN, DEPARTMENT_IT (with departmentCodes), ANALYST or VIEWER.' })
  role: Role;

  @Field(() => [String], { nullable: true, description: 'Department codes a DEPARTMENT_IT key is scoped to (at least one); none for other roles.' })
  departmentCodes?: string[] | null;

  @Field(() => Date, { nullable: true, description: 'When the key stops working; default never.' })
  expiresAt?: Date | null;
}

@ObjectType({ description: 'A created key: `key` is shown this once and cannot be retrieved later.' })
class CreatedApiKey {
  @Field({ description: 'The key to send as `Authorization: Bearer <key>`. Store it now: only its hash is kept.' })
  key: string;

  @Field(() => ApiKey, { description: 'The key\'s record, as apiKeys lists it.' })
  apiKey: ApiKey;
}

export enum AuthenticationMethod {
  API_KEY = 'API_KEY',
  JWT = 'JWT',
  ANONYMOUS = 'ANONYMOUS',
}
registerEnumType(AuthenticationMethod, {
  name: 'AuthenticationMethod',
  description: 'How the caller of a request proved who it is.',
  valuesConfig: {
    API_KEY: { description: 'A hub API key, sent as `Authorization: Bearer <key>`.' },
    JWT: { description: 'A JSON Web Token from the configured identity provider.' },
    ANONYMOUS: { description: 'No credentials: an anonymous VIEWER, when ANONYMOUS_READ=true.' },
  },
});

@ObjectType({ description: 'The caller of this request, as the hub sees it.' })
class Viewer {
  @Field({ description: '`key:<id>`, `jwt:<subject>` or `anonymous`.' })
  subject: string;

  @Field({ description: 'Recorded as the author of the changes the caller makes.' })
  name: string;

  @Field(() => Role, { description: 'The caller\'s role.' })
  role: Role;

  @Field(() => AuthenticationMethod, { description: 'How the caller authenticated: API key, JWT, or none (anonymous).' })
  authenticatedBy: AuthenticationMethod;

  @Field(() => [Department], { complexity: listCost, nullable: true, description: 'Departments a DEPARTMENT_IT caller is scoped to; null = every department.' })
  departments: Department[] | null;

  @Field(() => ApiKey, { nullable: true, description: 'The key used, when the caller sent one.' })
  apiKey: ApiKey | null;
}

function idOf(id: string): number {
  return parseNodeId(id, 'ApiKey', 'id', 'API key');
}

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => Viewer, { description: 'Who is calling: role, departments, name.' })
  async viewer(@Ctx() context: HubContext): Promise<Viewer> {
    const { principal } = context;
    const departments =
      principal.departmentIds === null
        ? null
        : (await context.loaders.departments.loadMany([...principal.departmentIds])).filter((row): row is Department => row instanceof Department);
    return {
      subject: principal.subject,
      name: principal.name,
      role: principal.role,
      authenticatedBy: principal.apiKeyId !== null ? AuthenticationMethod.API_KEY : principal.subject.startsWith('jwt:') ? AuthenticationMethod.JWT : AuthenticationMethod.ANONYMOUS,
      departments: departments?.sort((a, b) => a.code.localeCompare(b.code)) ?? null,
      apiKey: principal.apiKeyId === null ? null : await context.loaders.apiKeys.load(principal.apiKeyId),
    };
  }

  @Authorized(...ADMIN_ONLY)
  @Query(() => ApiKeyConnection, { complexity: connectionCost, description: 'API keys, newest first (never their values).' })
  apiKeys(
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() context: HubContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('includeRevoked', () => Boolean, { defaultValue: false, description: 'Also list revoked keys.' }) includeRevoked: boolean,
  ): Promise<Connection<ApiKey>> {
    return rootConnection({
      context,
      info,
      page,
      query: () => apiKeysQuery(context.dataSource, includeRevoked),
      sort: [{ property: 'id', direction: SortDirection.DESC }],
    });
  }

  @Authorized(...ADMIN_ONLY)
  @Mutation(() => CreatedApiKey, { description: 'Creates an API key; the key is returned this once.' })
  createApiKey(@Arg('input', () => ApiKeyInput, { description: 'Name, role, departments and expiry of the new key.' }) input: ApiKeyInput, @Ctx() context: HubContext): Promise<CreatedApiKey> {
    return context.apiKeys.create(input, context.principal.name);
  }

  @Authorized(...ADMIN_ONLY)
  @Mutation(() => ApiKey, { description: 'Revokes an API key at once; requests with it are refused from now on.' })
  revokeApiKey(@Arg('id', () => ID, { description: 'Global id of the key, or its databaseId.' }) id: string, @Ctx() context: HubContext): Promise<ApiKey> {
    return context.apiKeys.revoke(idOf(id));
  }

  @FieldResolver(() => [Department], { complexity: listCost, description: 'Departments a DEPARTMENT_IT key is scoped to, by code.' })
  departments(@Root() apiKey: ApiKey, @Ctx() context: HubContext): Promise<Department[]> {
    return context.loaders.apiKeyDepartments.load(apiKey.id);
  }

  @FieldResolver(() => Boolean, { description: 'Neither revoked nor expired.' })
  active(@Root() apiKey: ApiKey): boolean {
    return !apiKey.revokedAt && !(apiKey.expiresAt && apiKey.expiresAt.getTime() <= Date.now());
  }
}
