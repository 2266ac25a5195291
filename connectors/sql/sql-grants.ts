/**
 * What the sql kind's database account may do beyond reading its own schema, from `SHOW GRANTS`.
 *
 * The query guard and the read-only transaction keep a connector query to reading; an account with more
 * rights than SELECT on its schema (FILE, PROCESS, SUPER, ALL PRIVILEGES, anything on `*.*` or on the
 * server's own schemas, a grant option, roles, proxying) is one guard away from reading files or other
 * departments' data. `testConnector` reports each such grant as a warning, Vietnamese first, English beside.
 */
import { isSystemSchema } from './sql-guard';

/** Splits a privilege list on the commas outside column lists: `SELECT (a, b), INSERT` → two entries. */
function splitPrivileges(list: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of list) {
    if (ch === '(') depth += 1;
    if (ch === ')') depth -= 1;
    if (ch === ',' && depth === 0) {
      out.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  out.push(current);
  return out.map((privilege) => privilege.replace(/\(.*\)/s, '').trim().toUpperCase()).filter(Boolean);
}

/** `\`db\`.\`table\`` → { schema: 'db', table: 'table' }; `*.*` → { schema: '*', table: '*' }. */
function parseTarget(target: string): { schema: string; table: string } {
  const unquote = (part: string) => part.trim().replace(/^`|`$/g, '').replace(/``/g, '`').replace(/\\([_%])/g, '$1');
  const text = target.replace(/^(FUNCTION|PROCEDURE|PACKAGE(?: BODY)?)\s+/i, '');
  const match = /^((?:`(?:[^`]|``)*`|[^.`\s]+))\.((?:`(?:[^`]|``)*`|[^.`\s]+))$/.exec(text.trim());
  if (!match) return { schema: text.trim(), table: '*' };
  return { schema: unquote(match[1]), table: unquote(match[2]) };
}

function warning(vi: string, en: string): string {
  return `${vi} — ${en}`;
}

/**
 * Warnings for every grant beyond `SELECT` on `database` (and `USAGE`, which is no right at all). The grant
 * lines are never quoted back: MariaDB prints the password hash in them.
 */
export function grantWarnings(grants: readonly string[], database: string, user: string): string[] {
  const warnings: string[] = [];
  const least = `GRANT SELECT ON \`${database}\`.*`;
  for (const line of grants) {
    const text = line.replace(/\s+/g, ' ').trim();
    const grant = /^GRANT (.+?) ON (.+?) TO /i.exec(text);
    if (!grant) {
      const role = /^GRANT (.+?) TO /i.exec(text);
      if (role) {
        const roles = role[1].replace(/`/g, '');
        warnings.push(
          warning(
            `Tài khoản ${user} được cấp vai trò ${roles}; quyền của vai trò không được kiểm tra ở đây, tài khoản chỉ nên có ${least}`,
            `account ${user} is granted the role(s) ${roles}, whose rights are not checked here; it should only have ${least}`,
          ),
        );
      }
      continue;
    }
    const privileges = splitPrivileges(grant[1]).filter((privilege) => privilege !== 'USAGE');
    const { schema, table } = parseTarget(grant[2]);
    const where = `${schema === '*' ? '*' : `\`${schema}\``}.${table === '*' ? '*' : `\`${table}\``}`;
    const ownSchema = schema === database;
    const extra = privileges.filter((privilege) => !(ownSchema && privilege === 'SELECT'));
    if (privileges.includes('PROXY')) {
      warnings.push(
        warning(
          `Tài khoản ${user} có quyền PROXY: có thể hoạt động dưới danh nghĩa tài khoản khác`,
          `account ${user} holds PROXY: it can act as another account`,
        ),
      );
    } else if (extra.length > 0) {
      const why = schema === '*' ? 'mọi cơ sở dữ liệu và cả máy chủ' : isSystemSchema(schema) ? 'cơ sở dữ liệu hệ thống của máy chủ' : ownSchema ? 'cơ sở dữ liệu của đơn vị' : 'một cơ sở dữ liệu khác';
      const whyEn = schema === '*' ? 'every database and the server itself' : isSystemSchema(schema) ? "the server's own schema" : ownSchema ? "the department's database" : 'another database';
      warnings.push(
        warning(
          `Tài khoản ${user} có quyền ${extra.join(', ')} trên ${where} (${why}), nhiều hơn mức cần thiết: tài khoản chỉ nên có ${least}`,
          `account ${user} holds ${extra.join(', ')} on ${where} (${whyEn}), more than it needs: it should only have ${least}`,
        ),
      );
    }
    if (/WITH GRANT OPTION/i.test(text) || privileges.includes('GRANT OPTION')) {
      warnings.push(
        warning(
          `Tài khoản ${user} có quyền cấp quyền cho người khác (GRANT OPTION) trên ${where}`,
          `account ${user} may grant its rights to others (GRANT OPTION) on ${where}`,
        ),
      );
    }
  }
  return warnings;
}
