/**
 * `squeezelens` command line, on the same engine and methods as the extension.
 *   squeezelens classify | saliency | fool | visualize | dream | sanity …  (--help on each)
 */
import { channelCommand } from './commands/channel.js';
import { classifyCommand } from './commands/classify.js';
import { dreamCommand } from './commands/dream.js';
import { foolCommand } from './commands/fool.js';
import { invertCommand } from './commands/invert.js';
import { saliencyCommand } from './commands/saliency.js';
import { sanityCommand } from './commands/sanity.js';
import { segmentCommand } from './commands/segment.js';
import { stylizeCommand } from './commands/stylize.js';
import { textureCommand } from './commands/texture.js';
import { visualizeCommand } from './commands/visualize.js';
import { packageVersion, UsageError } from './shared.js';

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; summary: string }> = {
  classify: { run: classifyCommand, summary: 'top-5 ImageNet classes of images' },
  saliency: {
    run: saliencyCommand,
    summary: 'which pixels drive the answer (vanilla, gradxinput, smoothgrad, ig, gradcam)',
  },
  fool: { run: foolCommand, summary: 'a fooling image: looks the same, classified as something else' },
  visualize: { run: visualizeCommand, summary: 'what the network thinks a class looks like' },
  dream: { run: dreamCommand, summary: 'DeepDream: amplify what a layer sees in an image' },
  sanity: { run: sanityCommand, summary: 'can a saliency map be trusted? (model randomization, deletion/insertion)' },
  invert: { run: invertCommand, summary: "feature inversion: an image from one layer's activations" },
  texture: { run: textureCommand, summary: "texture synthesis: an image with a picture's Gram matrices" },
  stylize: { run: stylizeCommand, summary: 'style transfer: a picture in the style of another' },
  channel: { run: channelCommand, summary: 'channel / neuron visualization: what one unit of a layer responds to' },
  segment: { run: segmentCommand, summary: 'cut the object out along its saliency map (GrabCut seeded by saliency)' },
};

const USAGE = `Usage: squeezelens <command> [options]

See what SqueezeNet 1.1 sees, locally. Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join('\n')}

Run 'squeezelens <command> --help' for a command's options, 'squeezelens --version' for the version.
Examples:
  squeezelens classify --json photo.jpg
  squeezelens saliency photo.jpg --method smoothgrad --out map.png --overlay overlay.png --json
  squeezelens fool photo.jpg --target "gorilla" --method cs231n --out fooled.png --json
  squeezelens classify fooled.png`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const entry = COMMANDS[command];
  try {
    if (!entry) throw new UsageError(`unknown command '${command}' (available: ${Object.keys(COMMANDS).join(', ')})`);
    return await entry.run(rest);
  } catch (error) {
    const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    if (usage) {
      process.stderr.write(
        `squeezelens: ${(error as Error).message}\n\n` +
          `Run 'squeezelens ${entry ? `${command} ` : ''}--help' for usage.\n`,
      );
      return 2;
    }
    process.stderr.write(`squeezelens: error: ${(error as Error).message}\n`);
    return 1;
  }
}
