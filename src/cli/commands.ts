/** The commands of `pilothub` (see docs/cli.md), on commander. */
import { Command } from 'commander';
import { addAdminCommands } from './commands/admin';
import { addConnectorsAsCode } from './commands/as-code';
import { addCatalogueCommands } from './commands/catalogue';
import { addConnectorCommands } from './commands/connectors';
import { addDataCommands } from './commands/data';
import { addRunCommands } from './commands/runs';

export function buildProgram(): Command {
  const program = new Command('pilothub')
    .description('PilotHub từ dòng lệnh: bộ kết nối dưới dạng mã, chạy, đẩy dữ liệu, xuất, nhập danh mục — PilotHub from the command line: connectors as code, runs, pushes, exports, catalogue imports')
    .option('-p, --profile <name>', 'hồ sơ trong tệp cấu hình / profile of the config file (default: PILOTHUB_URL/PILOTHUB_KEY, else the current profile)')
    .showHelpAfterError()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });

  addAdminCommands(program);
  const connectors = program.command('connectors').description('Bộ kết nối / connectors');
  addConnectorCommands(connectors);
  addConnectorsAsCode(connectors);
  addRunCommands(program, connectors);
  addDataCommands(program);
  addCatalogueCommands(program);
  return program;
}
