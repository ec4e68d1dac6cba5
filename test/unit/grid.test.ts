// Pure parts of grid/: key building, hash slots, CLUSTER NODES parsing, Lua script conventions,
// URL parsing and error classification. No network.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { isJourneyError } from '../../common/index.js';
import {
  CLUSTER_SLOTS,
  createGridKeys,
  gridKeys,
  hashSlot,
  hashTagOf,
  loadLuaScripts,
  luaHeaderProblem,
  masterOfSlot,
  parseClusterNodes,
  parseInfo,
  parseRedisUrl,
  redactRedisUrl,
  replicasOf,
  wrapGridError,
} from '../../grid/index.js';

describe('grid keys', () => {
  it('tags every journey key with the journey id', () => {
    expect(gridKeys.hotState('j-1')).toBe('je:{j-1}:state');
    expect(gridKeys.journey('j-1', 'lease')).toBe('je:{j-1}:lease');
    expect(gridKeys.grid('owners')).toBe('je:{grid}:owners');
    expect(gridKeys.nodeInbox('n7')).toBe('je:{node:n7}:inbox');
    expect(createGridKeys('t-1').hotState('x')).toBe('t-1:{x}:state');
  });

  it('puts the cluster id between the prefix and the tag, so the tag and its slot stay the same', () => {
    const keys = createGridKeys('je', '0123abcd');
    expect(keys).toMatchObject({ prefix: 'je', clusterId: '0123abcd', namespace: 'je:0123abcd' });
    expect(keys.hotState('j-1')).toBe('je:0123abcd:{j-1}:state');
    expect(keys.grid('nodes')).toBe('je:0123abcd:{grid}:nodes');
    expect(keys.nodeInbox('n7')).toBe('je:0123abcd:{node:n7}:inbox');
    expect(gridKeys.forCluster('0123abcd').grid('owners')).toBe(keys.grid('owners'));
    expect(hashSlot(keys.hotState('j-1'))).toBe(hashSlot(gridKeys.hotState('j-1')));
    expect(hashSlot(keys.grid('nodes'))).toBe(hashSlot(keys.grid('owners')));
    expect(createGridKeys('je', 'other').grid('nodes')).not.toBe(keys.grid('nodes'));
    for (const id of ['', 'a:b', 'a}b', '{x}', 'x'.repeat(65)]) expect(() => createGridKeys('je', id), id).toThrow();
  });

  it('rejects ids that would break the hash tag, and bad prefixes or names', () => {
    for (const id of ['', 'a}b', 'a{b', 'x'.repeat(257)]) {
      expect(() => gridKeys.hotState(id)).toThrow();
    }
    expect(() => gridKeys.nodeInbox('n}')).toThrow();
    expect(() => createGridKeys('je:{x}')).toThrow();
    expect(() => gridKeys.grid('a b')).toThrow();
    try {
      gridKeys.hotState('a}b');
    } catch (error: unknown) {
      expect(isJourneyError(error, 'JE_INTERNAL')).toBe(true);
    }
  });
});

describe('hash slots', () => {
  it('matches the cluster specification', () => {
    // CRC16/XMODEM("123456789") = 0x31C3; the spec's examples.
    expect(hashSlot('123456789')).toBe(0x31c3 % CLUSTER_SLOTS);
    expect(hashSlot('foo')).toBe(12182);
    expect(hashSlot('{user1000}.following')).toBe(hashSlot('user1000'));
    expect(hashSlot('{user1000}.followers')).toBe(hashSlot('{user1000}.following'));
  });

  it('uses the first non-empty {tag}', () => {
    expect(hashTagOf('foo{}{bar}')).toBe('foo{}{bar}');
    expect(hashTagOf('foo{{bar}}zap')).toBe('{bar');
    expect(hashTagOf('foo{bar}{zap}')).toBe('bar');
    expect(hashTagOf('no tag')).toBe('no tag');
    expect(hashTagOf('open{only')).toBe('open{only');
  });

  it('spreads journeys over the slot space', () => {
    const slots = new Set(Array.from({ length: 1000 }, (_, index) => hashSlot(gridKeys.hotState(`journey-${index}`))));
    expect(slots.size).toBeGreaterThan(950);
    for (const slot of slots) expect(slot).toBeLessThan(CLUSTER_SLOTS);
  });
});

describe('CLUSTER NODES parsing', () => {
  const text = [
    '07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004,host-4 slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 4 connected',
    '67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30002@31002 master - 0 1426238316232 2 connected 5461-10922',
    '292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 127.0.0.1:30003@31003 master,fail - 0 1426238318243 3 connected 10923-16383',
    '6ec23923021cf3ffec47632106199cb7f496ce01 127.0.0.1:30005@31005 slave 67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 0 1426238316232 5 connected',
    'e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@31001 myself,master - 0 0 1 connected 0-5460 [5461->-67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1]',
    '',
  ].join('\n');

  it('reads roles, failure flags, masters and slot ranges', () => {
    const nodes = parseClusterNodes(text);
    expect(nodes).toHaveLength(5);
    expect(nodes[0]).toMatchObject({ port: 30004, host: '127.0.0.1', role: 'replica', masterId: 'e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca', slots: [] });
    expect(nodes[2]).toMatchObject({ port: 30003, role: 'master', failing: true, slots: [[10923, 16383]] });
    expect(nodes[4]).toMatchObject({ port: 30001, myself: true, slots: [[0, 5460]] });
    expect(masterOfSlot(nodes, 5461)?.port).toBe(30002);
    expect(masterOfSlot(nodes, 0)?.port).toBe(30001);
    expect(replicasOf(nodes, '67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1').map((node) => node.port)).toEqual([30005]);
  });

  it('parses INFO text', () => {
    expect(parseInfo('# Cluster\r\ncluster_state:ok\r\ncluster_slots_ok:16384\r\n')).toEqual({ cluster_state: 'ok', cluster_slots_ok: '16384' });
  });
});

describe('Lua scripts', () => {
  it('every script in grid/lua follows <name>-<numKeys>.lua with a KEYS/ARGV header', () => {
    const scripts = loadLuaScripts();
    expect(scripts.get('put-state')).toMatchObject({ commandName: 'jePutState', numberOfKeys: 1 });
  });

  it('flags headers that do not match the key count', () => {
    expect(luaHeaderProblem('return 1', 0)).toMatch(/header/);
    expect(luaHeaderProblem('--[[\n KEYS[1] a\n ARGV[1] b\n]]\nreturn redis.call("GET", KEYS[1])', 1)).toBeNull();
    expect(luaHeaderProblem('--[[\n KEYS[1] a\n]]\nreturn redis.call("GET", KEYS[2])', 1)).toMatch(/KEYS\[2\]/);
    expect(luaHeaderProblem('--[[\n KEYS[1] a\n]]\nreturn 1', 2)).toMatch(/KEYS\[2\]/);
    expect(luaHeaderProblem('--[[\n KEYS[1] a\n]]\nreturn ARGV[1]', 1)).toMatch(/ARGV/);
  });

  it('refuses badly named files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'je-lua-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'putState.lua'), '--[[ ]]\nreturn 1');
    expect(() => loadLuaScripts(dir)).toThrow(/<name>-<numKeys>\.lua/);
  });
});

describe('Redis URLs and errors', () => {
  it('parses seeds', () => {
    expect(parseRedisUrl('redis://127.0.0.1:7101')).toEqual({ host: '127.0.0.1', port: 7101, tls: false, db: 0 });
    expect(parseRedisUrl('rediss://u:p%40ss@redis.example:6380/2')).toEqual({
      host: 'redis.example',
      port: 6380,
      tls: true,
      db: 2,
      username: 'u',
      password: 'p@ss',
    });
    expect(parseRedisUrl('localhost:7000')).toMatchObject({ host: 'localhost', port: 7000 });
    expect(() => parseRedisUrl('http://x:1')).toThrow(/redis:\/\//);
  });

  it('classifies what ioredis throws', () => {
    const reply = (message: string): Error => Object.assign(new Error(message), { name: 'ReplyError' });
    expect(wrapGridError(reply('CLUSTERDOWN The cluster is down'), 'x').code).toBe('JE_GRID_UNAVAILABLE');
    expect(wrapGridError(reply('TRYAGAIN Multiple keys request during rehashing of slot'), 'x').code).toBe('JE_GRID_UNAVAILABLE');
    expect(wrapGridError(new Error('Connection is closed.'), 'x').code).toBe('JE_GRID_UNAVAILABLE');
    expect(wrapGridError(reply('ERR Error running script'), 'x').code).toBe('JE_INTERNAL');
    expect(wrapGridError(reply('WRONGTYPE Operation against a key holding the wrong kind of value'), 'x').code).toBe('JE_INTERNAL');
    const wrapped = wrapGridError('boom', 'op');
    expect(wrapped.cause).toBeInstanceOf(Error);
    expect(wrapped.message).toMatch(/op failed: boom/);
  });
});

describe('Redis URLs in logs and messages', () => {
  it('masks the password of a seed URL, and leaves a URL without one as it is', () => {
    expect(redactRedisUrl('redis://:s3cret@127.0.0.1:7101')).toBe('redis://:***@127.0.0.1:7101');
    expect(redactRedisUrl('rediss://user:p%40ss@host:6380/2')).toBe('rediss://user:***@host:6380/2');
    expect(redactRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(redactRedisUrl('user:pw@host:1')).toBe('user:***@host:1');
    expect(redactRedisUrl('redis://:p@ss@host:1')).toBe('redis://:***@host:1');
  });

  it('parse errors name the URL with its password masked', () => {
    expect(() => parseRedisUrl('http://:hunter22@host:1')).toThrow(/"http:\/\/:\*\*\*@host:1"/);
    expect(() => parseRedisUrl('http://:hunter22@host:1')).not.toThrow(/hunter22/);
    expect(() => parseRedisUrl('redis://:hunter22@host:1/x')).not.toThrow(/hunter22/);
  });
});
