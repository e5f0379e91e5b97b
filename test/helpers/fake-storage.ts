/**
 * An in-memory chrome.storage area for unit tests of the worker's store and queue: it sums JSON
 * sizes as Chrome does and throws Chrome's quota error over `quota` bytes.
 */
export function fakeSession(quota: number) {
  const data = new Map<string, unknown>();
  const size = (m: Map<string, unknown>) => [...m].reduce((s, [k, v]) => s + k.length + JSON.stringify(v).length, 0);
  return {
    data,
    async get(key: string) {
      return data.has(key) ? { [key]: structuredClone(data.get(key)) } : {};
    },
    async set(items: Record<string, unknown>) {
      const next = new Map(data);
      for (const [k, v] of Object.entries(items)) if (v !== undefined) next.set(k, structuredClone(v));
      if (size(next) > quota) throw new Error('Resource::kQuotaBytes quota exceeded');
      for (const [k, v] of next) data.set(k, v);
    },
    async remove(keys: string | string[]) {
      for (const k of Array.isArray(keys) ? keys : [keys]) data.delete(k);
    },
  };
}
