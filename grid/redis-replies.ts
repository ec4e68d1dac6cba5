/** Parsers of Redis's replies: `CLUSTER NODES`, `CLUSTER SLOTS`, `INFO`. Pure. */

/** One line of `CLUSTER NODES`, parsed. */
export interface ClusterNodeEntry {
  /** The node's 40-character id. */
  id: string;
  host: string;
  port: number;
  /** `master` or `replica` (from the `master`/`slave` flag). */
  role: 'master' | 'replica';
  /** The node the answering node considers failed (`fail`) or possibly failed (`fail?`). */
  failing: boolean;
  /** The answering node itself (`myself`). */
  myself: boolean;
  /** For a replica, the id of its master; otherwise null. */
  masterId: string | null;
  /** `connected` or `disconnected`: the cluster-bus link from the answering node. */
  linkState: string;
  /** Slot ranges served, inclusive (`[start, end]`); migrating/importing markers are skipped. */
  slots: [number, number][];
}

function parseAddress(field: string): { host: string; port: number } {
  // ip:port@cport[,hostname]
  const address = field.split(',')[0] ?? '';
  const at = address.indexOf('@');
  const hostPort = at === -1 ? address : address.slice(0, at);
  const colon = hostPort.lastIndexOf(':');
  return { host: hostPort.slice(0, colon), port: Number(hostPort.slice(colon + 1)) };
}

function parseSlots(fields: string[]): [number, number][] {
  const ranges: [number, number][] = [];
  for (const field of fields) {
    if (field.startsWith('[')) continue;
    const [start, end] = field.split('-');
    const from = Number(start);
    const to = end === undefined ? from : Number(end);
    if (Number.isInteger(from) && Number.isInteger(to)) ranges.push([from, to]);
  }
  return ranges;
}

/** Parses the text `CLUSTER NODES` returns. Lines that are not node lines are ignored. */
export function parseClusterNodes(text: string): ClusterNodeEntry[] {
  const entries: ClusterNodeEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    if (fields.length < 8) continue;
    const [id = '', addressField = '', flagField = '', master = '-', , , , linkState = ''] = fields;
    const flags = new Set(flagField.split(','));
    const { host, port } = parseAddress(addressField);
    if (flags.has('noaddr') || !Number.isInteger(port) || port <= 0) continue;
    entries.push({
      id,
      host,
      port,
      role: flags.has('master') ? 'master' : 'replica',
      failing: flags.has('fail') || flags.has('fail?'),
      myself: flags.has('myself'),
      masterId: master === '-' ? null : master,
      linkState,
      slots: parseSlots(fields.slice(8)),
    });
  }
  return entries;
}

/** The master serving `slot` in a parsed `CLUSTER NODES` answer, if any. */
export function masterOfSlot(entries: ClusterNodeEntry[], slot: number): ClusterNodeEntry | undefined {
  return entries.find((entry) => entry.role === 'master' && entry.slots.some(([from, to]) => slot >= from && slot <= to));
}

/** The replicas of the master with id `masterId`. */
export function replicasOf(entries: ClusterNodeEntry[], masterId: string): ClusterNodeEntry[] {
  return entries.filter((entry) => entry.role === 'replica' && entry.masterId === masterId);
}

/** Parses `INFO`-style text (`key:value` lines) into a record. */
export function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (line.length === 0 || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return fields;
}

/** How many masters serve slots in a `CLUSTER SLOTS` reply. */
export function slotsMasters(reply: unknown): number {
  if (!Array.isArray(reply)) throw new Error('CLUSTER SLOTS answered something other than an array');
  const masters = new Set<string>();
  for (const range of reply) {
    if (!Array.isArray(range)) continue;
    const master: unknown = range[2];
    if (Array.isArray(master)) masters.add(`${String(master[0])}:${String(master[1])}`);
  }
  return masters.size;
}
