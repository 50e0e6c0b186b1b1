// Check a Comity package in the browser: the provider's Ed25519 signature over
// tagmanifest-sha512.txt, the key inside the package, and every file against the SHA-512 and
// SHA-256 manifests (BagIt, RFC 8493), with nothing added or left out.
//
// Why here and not on the server: the package holds disclosed records; it never leaves the
// requester's computer (the page's CSP allows no network request from scripts anyway), and a
// package of any size the browser can hold is checked without an upload limit. Web Crypto does
// the hashing and the signature; the tar reader below is the only parsing, and it refuses what
// it does not understand rather than guessing.
"use strict";

(function () {
  const BLOCK = 512;
  const decoder = new TextDecoder("utf-8", { fatal: true });

  function text(bytes) {
    return decoder.decode(bytes);
  }

  function hex(buffer) {
    return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function field(header, offset, length) {
    const end = header.subarray(offset, offset + length).indexOf(0);
    return text(header.subarray(offset, end < 0 ? offset + length : offset + end));
  }

  function octal(header, offset, length) {
    const value = field(header, offset, length).trim();
    if (!/^[0-7]*$/.test(value)) throw new Error("a tar header has a malformed number");
    return value === "" ? 0 : parseInt(value, 8);
  }

  function checksumOk(header) {
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header[i];
    return sum === octal(header, 148, 8);
  }

  // pax extended header records: "LEN key=value\n" (POSIX.1-2001).
  function paxRecords(bytes) {
    const records = {};
    let at = 0;
    while (at < bytes.length) {
      const space = bytes.indexOf(32, at);
      if (space < 0) throw new Error("a pax header is malformed");
      const length = parseInt(text(bytes.subarray(at, space)), 10);
      if (!(length > 0)) throw new Error("a pax header is malformed");
      const record = text(bytes.subarray(space + 1, at + length - 1));
      const eq = record.indexOf("=");
      records[record.slice(0, eq)] = record.slice(eq + 1);
      at += length;
    }
    return records;
  }

  // The archive's regular files, name -> bytes (views into the one buffer).
  function readTar(bytes) {
    const files = new Map();
    let at = 0;
    let pax = {};
    while (at + BLOCK <= bytes.length) {
      const header = bytes.subarray(at, at + BLOCK);
      if (header.every((b) => b === 0)) return files;
      if (!checksumOk(header)) throw new Error(`the tar header at byte ${at} is corrupt`);
      const type = String.fromCharCode(header[156] || 48);
      let name = field(header, 0, 100);
      const prefix = field(header, 345, 155);
      if (prefix) name = prefix + "/" + name;
      const size = pax.size !== undefined ? parseInt(pax.size, 10) : octal(header, 124, 12);
      if (pax.path !== undefined) name = pax.path;
      const start = at + BLOCK;
      if (start + size > bytes.length) throw new Error(`${name} is cut short`);
      const body = bytes.subarray(start, start + size);
      at = start + Math.ceil(size / BLOCK) * BLOCK;
      if (type === "x") {
        pax = paxRecords(body);
        continue;
      }
      pax = {};
      if (type === "0") {
        if (files.has(name)) throw new Error(`${name} is in the archive twice`);
        files.set(name, body);
      } else if (type !== "5") {
        throw new Error(`${name}: unexpected tar entry type ${type}`);
      }
    }
    throw new Error("the archive ends without its end-of-archive blocks");
  }

  function pemToDer(pem) {
    const body = pem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, "").replace(/\s+/g, "");
    return Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  }

  // BagIt manifest lines: "<hex>  <path>", paths percent-encoding CR, LF and % (RFC 8493 2.1.3).
  function manifest(bytes, name) {
    const entries = new Map();
    for (const line of text(bytes).split("\n")) {
      if (line === "") continue;
      const match = /^([0-9a-f]+)\s+(.+)$/.exec(line);
      if (!match) throw new Error(`${name} has a malformed line`);
      const path = match[2].replace(/%0D/gi, "\r").replace(/%0A/gi, "\n").replace(/%25/g, "%");
      entries.set(path, match[1]);
    }
    return entries;
  }

  async function checkManifest(files, root, name, algorithm, expectAll) {
    const listed = manifest(files.get(root + name), name);
    for (const [path, digest] of listed) {
      const body = files.get(root + path);
      if (body === undefined) throw new Error(`${name} lists ${path}, which is missing`);
      const actual = hex(await crypto.subtle.digest(algorithm, body));
      if (actual !== digest) throw new Error(`${path} does not match its ${algorithm} in ${name}`);
    }
    for (const path of files.keys()) {
      const inside = path.slice(root.length);
      if (expectAll(inside) && !listed.has(inside)) {
        throw new Error(`${inside} is in the package but not in ${name}`);
      }
    }
    return listed.size;
  }

  async function check(file, publishedPem, report) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    report("SHA-256 of the file (compare with the portal's): " +
      hex(await crypto.subtle.digest("SHA-256", bytes)));
    const files = readTar(bytes);
    const roots = new Set(Array.from(files.keys(), (n) => n.split("/")[0]));
    if (roots.size !== 1) throw new Error("the archive does not hold exactly one bag folder");
    const root = roots.values().next().value + "/";
    for (const name of ["bagit.txt", "tagmanifest-sha512.txt", "tagmanifest-sha512.txt.sig",
      "provider-key.pem", "manifest-sha512.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt"]) {
      if (!files.has(root + name)) throw new Error(`the package has no ${name}`);
    }
    const key = await crypto.subtle.importKey(
      "spki", pemToDer(publishedPem), { name: "Ed25519" }, false, ["verify"]);
    const signature = Uint8Array.from(
      atob(text(files.get(root + "tagmanifest-sha512.txt.sig")).trim()), (c) => c.charCodeAt(0));
    const signed = files.get(root + "tagmanifest-sha512.txt");
    if (!(await crypto.subtle.verify({ name: "Ed25519" }, key, signature, signed))) {
      throw new Error("the signature over tagmanifest-sha512.txt is not valid under the published key");
    }
    report("Signature: valid under the provider's published key.");
    if (text(files.get(root + "provider-key.pem")).trim() !== publishedPem.trim()) {
      throw new Error("the key inside the package is not the published key");
    }
    report("The key inside the package is the published key.");
    const isTag = (p) => !p.startsWith("data/") && !p.startsWith("tagmanifest-");
    const tags = await checkManifest(files, root, "tagmanifest-sha512.txt", "SHA-512", isTag);
    await checkManifest(files, root, "tagmanifest-sha256.txt", "SHA-256", isTag);
    report(`Tag files: all ${tags} match tagmanifest-sha512.txt and tagmanifest-sha256.txt.`);
    const isPayload = (p) => p.startsWith("data/");
    const payload = await checkManifest(files, root, "manifest-sha512.txt", "SHA-512", isPayload);
    await checkManifest(files, root, "manifest-sha256.txt", "SHA-256", isPayload);
    report(`Payload: all ${payload} files match manifest-sha512.txt and manifest-sha256.txt; none added or missing.`);
  }

  function start() {
    const input = document.getElementById("package-file");
    const verdict = document.getElementById("check-verdict");
    const steps = document.getElementById("check-steps");
    const publishedPem = document.getElementById("provider-key").textContent;
    if (!input) return;
    input.addEventListener("change", async () => {
      steps.replaceChildren();
      verdict.className = "";
      const file = input.files[0];
      if (!file) return;
      verdict.textContent = `Checking ${file.name}…`;
      const report = (line) => {
        const item = document.createElement("li");
        item.textContent = line;
        steps.append(item);
      };
      try {
        if (!window.crypto || !crypto.subtle) throw new Error("this browser has no Web Crypto");
        await check(file, publishedPem, report);
        verdict.textContent = `Valid: ${file.name} is the package the provider signed, unchanged.`;
        verdict.className = "tag go";
      } catch (error) {
        const reason = error && error.name === "NotSupportedError"
          ? "this browser cannot check Ed25519 signatures; use the standard tools above"
          : String(error && error.message ? error.message : error);
        verdict.textContent = `Not valid: ${reason}.`;
        verdict.className = "tag stop";
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
