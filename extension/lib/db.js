// IndexedDB: the vault (key-derivation parameters and a check value), identities (public certificates in
// the clear, private material only as AES-GCM ciphertext), contacts (recipients' certificates), the
// user's trusted CAs, and what directories answered for recipients (lib/directory.js).

const NAME = "siegel";
const VERSION = 2;
export const STORES = Object.freeze({ meta: "meta", identities: "identities", contacts: "contacts", trust: "trust", directory: "directory" });

let opening = null;

export function open() {
  opening ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(NAME, VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(STORES.meta)) db.createObjectStore(STORES.meta);
      if (!db.objectStoreNames.contains(STORES.identities)) db.createObjectStore(STORES.identities, { keyPath: "id" });
      if (!db.objectStoreNames.contains(STORES.contacts)) db.createObjectStore(STORES.contacts, { keyPath: "fingerprint" });
      if (!db.objectStoreNames.contains(STORES.trust)) db.createObjectStore(STORES.trust, { keyPath: "fingerprint" });
      // Version 2: what directories answered, by address (lib/directory.js).
      if (!db.objectStoreNames.contains(STORES.directory)) db.createObjectStore(STORES.directory, { keyPath: "email" });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => { opening = null; reject(req.error); };
  });
  return opening;
}

function done(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export async function get(store, key) {
  const db = await open();
  return done(db.transaction(store).objectStore(store).get(key));
}

export async function all(store) {
  const db = await open();
  return done(db.transaction(store).objectStore(store).getAll());
}

/** Writes several records (and deletions) to one store in one transaction: all or nothing. */
export function write(store, { put = [], remove = [], key } = {}) {
  return writeAll([{ store, put, remove, key }]);
}

/** Writes to several stores in one transaction: `[{ store, put: [...], remove: [...] }]`. */
export async function writeAll(ops) {
  const db = await open();
  const tx = db.transaction([...new Set(ops.map((o) => o.store))], "readwrite");
  for (const { store, put = [], remove = [], key } of ops) {
    const os = tx.objectStore(store);
    for (const r of put) key === undefined ? os.put(r) : os.put(r, key);
    for (const k of remove) os.delete(k);
  }
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
  });
}
