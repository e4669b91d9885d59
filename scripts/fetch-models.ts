/**
 * Fetches the pose weights (BlazePose, MoveNet) into the per-user cache (see src/ingest/models.ts).
 * `--soft` (used by postinstall) never fails the install: it prints what went
 * wrong and how to retry, and exits 0.
 */
import { UserError } from '../src/errors.ts';
import { fetchModels } from '../src/ingest/models.ts';

const soft = process.argv.includes('--soft');
try {
  const { cacheDir, fetched } = await fetchModels();
  if (!fetched) console.error(`optimus-motion: pose weights already cached and verified in ${cacheDir}`);
} catch (err) {
  const message = err instanceof UserError ? err.message : (err as Error)?.message ?? String(err);
  console.error(`optimus-motion: ${soft ? 'warning' : 'error'}: ${message}`);
  if (soft) console.error('optimus-motion: `ingest` needs these weights; it fetches them on first use, or run: npm run fetch-models');
  process.exitCode = soft ? 0 : 1;
}
