/** The `edgeway` command: dispatches to one module per subcommand. */
import { errorMessage, isGatewayError } from '../errors.js';
import { VERSION } from '../version.js';
import { UsageError } from './args.js';

type Command = (argv: string[]) => Promise<number>;

/** Loaded on demand: `validate` should not pay for starting the broker and LevelDB modules. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./run.js')).runCommand,
  validate: async () => (await import('./validate.js')).validateCommand,
  schema: async () => (await import('./schema.js')).schemaCommand,
  simulate: async () => (await import('./simulate.js')).simulateCommand,
  demo: async () => (await import('./demo.js')).demoCommand,
  sub: async () => (await import('./sub.js')).subCommand,
  queue: async () => (await import('./queue.js')).queueCommand,
  plan: async () => (await import('./plan.js')).planCommand,
  probe: async () => (await import('./probe.js')).probeCommand,
  health: async () => (await import('./health.js')).healthCommand,
  passwd: async () => (await import('./passwd.js')).passwdCommand,
  command: async () => (await import('./command.js')).commandCommand,
};

export const mainHelp = `Usage: edgeway <command> [options]

Edge gateway: Modbus devices -> durable queue -> cloud MQTT broker, with an embedded site broker.

Commands:
  run -c <config>        run the gateway
  validate -c <config>   check a site config and its device models; list every problem
  plan -c <config>       show the Modbus read requests each device gets per poll cycle
  probe --host H ...     read raw registers and print every type x byte order interpretation
  schema                 write the JSON Schemas for config/ and adapters/ files (editor autocompletion)
  simulate               serve simulated Modbus TCP devices built from model files
  demo                   everything on this machine: simulators, gateway, stand-in cloud broker
  sub --url <url>        print what arrives on a broker (e.g. the demo's cloud side)
  command --url <url> --gateway <id> <status|read|write|logs|config|...>
                         send a cloud command to a gateway through its cloud broker; print the answer
  health [-c <config>]   ask a running gateway's /readyz; exit 0 when ready (Docker HEALTHCHECK)
  passwd [--stdin]       print a password hash for an embedded-broker user (broker.users[].passwordHash)
  queue stats|peek|purge -c <config>
                         inspect or empty the durable queue of a stopped gateway

Run "edgeway <command> --help" for the options of a command. "edgeway --version" prints ${VERSION}.`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(mainHelp);
    return command === undefined ? 1 : 0;
  }
  if (command === '--version' || command === '-v') {
    console.log(VERSION);
    return 0;
  }
  const load = COMMANDS[command];
  if (!load) {
    console.error(`edgeway: unknown command "${command}"\n\n${mainHelp}`);
    return 1;
  }
  try {
    const handler = await load();
    return await handler(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`edgeway ${command}: ${err.message} (see: edgeway ${command} --help)`);
      return 1;
    }
    const code = isGatewayError(err) ? ` [${err.code}]` : '';
    console.error(`edgeway ${command}: ${errorMessage(err)}${code}`);
    return 1;
  }
}
