import { writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { isJourneyError } from '../../common/index.js';
import { bundleFileName, packVersion, serializeBundle } from '../../dsl/index.js';
import type { VersionBundle } from '../../dsl/index.js';
import type { CliCommand } from '../command.js';
import { EXIT, UsageError, withUsage } from '../command.js';
import { createProgress } from '../progress.js';
import { buildVersionImage, DockerCommandError, pushImage } from '../version-image.js';

const HELP = `Usage: journey pack <version dir> [--out <file>] [--image <ref> [--base <ref>] [--push]]

Packs one journey version (the folder holding its journey.jd, e.g. journeys/pfm/wallet/1.0) into a
bundle: the compiled bead chain with its JSON Schemas, the action processors compiled to
self-contained JavaScript, the hashes of the source files, and one content hash over all of it.
The same sources always give the same bundle, byte for byte. A node hosts a version from its
bundle (JOURNEYS_DIR may hold bundles, source folders, or both).

  --out <file>    where to write the bundle (default ./<type>-<version>.bundle.json, e.g.
                  pfm-wallet-1.0.bundle.json)
  --image <ref>   also build the version image: the engine base image plus this one bundle
                  (docker/Dockerfile.version), labelled with type, version and content hash
  --base <ref>    the engine base image (default $JE_BASE_IMAGE, else journey-engine:<engine version>)
  --push          push the image to its registry (with --image)

Docker is the CLI in $JE_DOCKER_CLI, else docker on PATH. Progress goes to standard error: a bar
on a terminal, plain lines otherwise.
Exit codes: 0 packed, 1 the journey or a processor does not compile, 2 wrong command line,
3 docker failed.`;

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      out: { type: 'string' },
      image: { type: 'string' },
      base: { type: 'string' },
      push: { type: 'boolean', default: false },
    },
  });
  const [dir, ...extra] = positionals;
  if (dir === undefined || extra.length > 0)
    throw new UsageError(dir === undefined ? 'expected a version folder' : `expected one folder, got also ${extra.join(' ')}`);
  if (values.push && values.image === undefined) throw new UsageError('--push pushes the image --image builds; give --image <ref>');
  if (values.base !== undefined && values.image === undefined) throw new UsageError('--base is the base of the image --image builds; give --image <ref>');

  const progress = createProgress('pack');
  let bundle: VersionBundle;
  try {
    bundle = await packVersion(dir, { onProgress: ({ done, total, message }) => progress.update(done, total, message) });
  } catch (thrown: unknown) {
    if (isJourneyError(thrown, 'JE_DSL_COMPILE')) {
      progress.finish('journey pack: nothing packed');
      console.error(thrown.message);
      return EXIT.invalidInput;
    }
    throw thrown;
  }
  const text = serializeBundle(bundle);
  const out = values.out ?? bundleFileName(bundle);
  await writeFile(out, text);
  const processors = Object.keys(bundle.processors).length;
  progress.finish(
    `packed ${bundle.name} ${bundle.version} into ${relative(process.cwd(), out) || out} ` +
      `(sha256 ${bundle.contentHash}, ${Object.keys(bundle.files).length} files, ${processors} processor${processors === 1 ? '' : 's'})`,
  );
  if (values.image === undefined) return EXIT.ok;

  const ref = values.image;
  const steps = values.push ? 2 : 1;
  const image = createProgress('image');
  try {
    image.update(0, steps, `building ${ref}`);
    const id = await buildVersionImage(bundle, text, { ref, base: values.base ?? process.env.JE_BASE_IMAGE, onLine: (line) => image.note(line) });
    image.update(1, steps, `built ${ref} (${id})`);
    if (values.push) {
      image.update(1, steps, `pushing ${ref}`);
      const digest = await pushImage(ref, { onLine: (line) => image.note(line) });
      image.update(2, steps, `pushed ${ref}`);
      image.finish(`built and pushed ${ref}${digest ? ` (${digest})` : ''}`);
    } else {
      image.finish(`built ${ref} (${id})`);
    }
    return EXIT.ok;
  } catch (thrown: unknown) {
    if (thrown instanceof DockerCommandError) {
      image.finish(`journey pack: ${thrown.message}`);
      return EXIT.failure;
    }
    throw thrown;
  }
}

/** `journey pack <version dir>`: a version bundle, and optionally its image. */
export const packCommand: CliCommand = {
  name: 'pack',
  summary: 'Pack a journey version into a bundle (and build its image with --image)',
  help: HELP,
  run: withUsage('pack', HELP, run),
};
