/** Reading SHOW GRANTS lines into warnings about rights beyond SELECT on the connector's schema. */
import { grantWarnings } from './sql-grants';

const warn = (lines: string[]) => grantWarnings(lines, 'mot_cua', 'pilothub_ro');

describe('sql account grants', () => {
  it('accepts USAGE on *.* and SELECT on the schema or its tables', () => {
    expect(
      warn([
        "GRANT USAGE ON *.* TO `pilothub_ro`@`%` IDENTIFIED BY PASSWORD '*0123456789ABCDEF0123456789ABCDEF01234567'",
        'GRANT SELECT ON `mot_cua`.* TO `pilothub_ro`@`%`',
        'GRANT SELECT (`unit_code`, `day`) ON `mot_cua`.`kiosk_daily` TO `pilothub_ro`@`%`',
        'GRANT SELECT ON `mot\\_cua`.* TO `pilothub_ro`@`%`',
      ]),
    ).toEqual([]);
  });

  it.each([
    ['FILE on *.*', 'GRANT FILE ON *.* TO `pilothub_ro`@`%`', /FILE trên \*\.\*.*holds FILE on \*\.\*/],
    ['PROCESS and SUPER on *.*', 'GRANT PROCESS, SUPER ON *.* TO `pilothub_ro`@`%`', /PROCESS, SUPER trên \*\.\*/],
    ['SELECT on *.*', 'GRANT SELECT ON *.* TO `pilothub_ro`@`%`', /SELECT trên \*\.\* \(mọi cơ sở dữ liệu/],
    ['ALL PRIVILEGES on the schema', 'GRANT ALL PRIVILEGES ON `mot_cua`.* TO `pilothub_ro`@`%`', /ALL PRIVILEGES trên `mot_cua`\.\*/],
    ['INSERT on a table of the schema', 'GRANT SELECT, INSERT ON `mot_cua`.`kiosk_daily` TO `pilothub_ro`@`%`', /holds INSERT on `mot_cua`\.`kiosk_daily`/],
    ['SELECT on mysql.*', 'GRANT SELECT ON `mysql`.* TO `pilothub_ro`@`%`', /the server's own schema/],
    ['SELECT on another schema', 'GRANT SELECT ON `ho_tich`.* TO `pilothub_ro`@`%`', /another database/],
    ['a role', 'GRANT `reporting` TO `pilothub_ro`@`%`', /vai trò reporting.*role\(s\) reporting/],
    ['PROXY', "GRANT PROXY ON ''@'%' TO `pilothub_ro`@`%`", /PROXY/],
  ])('warns about %s', (_name, line, expected) => {
    const warnings = warn(['GRANT USAGE ON *.* TO `pilothub_ro`@`%`', line]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(expected);
    expect(warnings[0]).toContain(' — ');
  });

  it('warns about a grant option, and never quotes the password hash', () => {
    const warnings = warn(["GRANT SELECT ON `mot_cua`.* TO `pilothub_ro`@`%` IDENTIFIED BY PASSWORD '*ABCDEF' WITH GRANT OPTION"]);
    expect(warnings).toEqual([expect.stringContaining('GRANT OPTION')]);
    expect(warnings.join('')).not.toContain('ABCDEF');
  });
});
