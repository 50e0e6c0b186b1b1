// Check a Comity package in the browser: the provider's Ed25519 signature over the signed tag
// manifest (tagmanifest-sha512.txt when the package has SHA-512 manifests, else
// tagmanifest-sha256.txt; docs/adr/0004), the key inside the package, the format and options
// bag-info.txt names against the manifests present, and every file against the SHA-256 (and
// SHA-512) manifests (BagIt, RFC 8493), with nothing added or left out.
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

  // The archive's regular files, name -> bytes (views into the one buffer); files.order lists
  // every entry as it comes, directories with a trailing "/".
  function readTar(bytes) {
    const files = new Map();
    files.order = [];
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
        files.order.push(name);
      } else if (type === "5") {
        files.order.push(name.endsWith("/") ? name : name + "/");
      } else {
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

  // "sha256" -> "SHA-256", Web Crypto's name and the one people read.
  function webName(algorithm) {
    return algorithm.toUpperCase().replace("SHA", "SHA-");
  }

  async function checkManifest(files, root, name, algorithm, expectAll) {
    const listed = manifest(files.get(root + name), name);
    for (const [path, digest] of listed) {
      const body = files.get(root + path);
      if (body === undefined) throw new Error(`${name} lists ${path}, which is missing`);
      const actual = hex(await crypto.subtle.digest(webName(algorithm), body));
      if (actual !== digest) {
        throw new Error(`${path} does not match its ${webName(algorithm)} in ${name}`);
      }
    }
    for (const path of files.keys()) {
      const inside = path.slice(root.length);
      if (expectAll(inside) && !listed.has(inside)) {
        throw new Error(`${inside} is in the package but not in ${name}`);
      }
    }
    return listed.size;
  }

  // bag-info.txt's "Label: value" lines.
  function bagInfo(bytes) {
    const info = new Map();
    for (const line of text(bytes).split("\n")) {
      if (line === "") continue;
      const sep = line.indexOf(": ");
      if (sep < 0 || info.has(line.slice(0, sep))) {
        throw new Error("bag-info.txt has a line that is not a single 'Label: value'");
      }
      info.set(line.slice(0, sep), line.slice(sep + 2));
    }
    return info;
  }

  // Which manifests a package has, and which tag manifest is signed (docs/adr/0004): SHA-256
  // always; SHA-512 too when the package has tagmanifest-sha512.txt (or its signature), and then
  // tagmanifest-sha512.txt is the signed one, else tagmanifest-sha256.txt.
  function layoutOf(files, root) {
    const sha512 = files.has(root + "tagmanifest-sha512.txt") ||
      files.has(root + "tagmanifest-sha512.txt.sig");
    const algorithms = sha512 ? ["sha256", "sha512"] : ["sha256"];
    const signed = `tagmanifest-${algorithms[algorithms.length - 1]}.txt`;
    return { sha512, algorithms, signed, signature: signed + ".sig" };
  }

  // The format and options bag-info.txt names (signed with it) against the manifests present:
  // no Comity-Package-Format is the first format; "2" names its options, e.g. "mbox=no sha512=no".
  function checkOptions(files, root, bag) {
    const info = bagInfo(files.get(root + "bag-info.txt"));
    const format = info.get("Comity-Package-Format");
    if (format === undefined) {
      // The first format always carries both algorithms (docs/adr/0004), as comity verify checks.
      if (!bag.sha512) {
        throw new Error("a package of the first format (no Comity-Package-Format in bag-info.txt) has SHA-256 and SHA-512 manifests; this one has sha256 only");
      }
      return { format: "1", text: `format 1 (${bag.algorithms.map(webName).join(" and ")} manifests)` };
    }
    if (format !== "2") throw new Error(`bag-info.txt names package format ${format}, which is unknown`);
    const options = info.get("Comity-Package-Options") || "";
    const match = /^mbox=(yes|no) sha512=(yes|no)$/.exec(options);
    if (!match) throw new Error(`bag-info.txt names no valid Comity-Package-Options (${options || "none"})`);
    if ((match[2] === "yes") !== bag.sha512) {
      throw new Error(`the package's manifests (${bag.algorithms.join(", ")}) are not the ones its options (${options}) call for`);
    }
    const mboxes = Array.from(files.keys(), (n) => n.slice(root.length))
      .filter((n) => n.startsWith("data/") && n.endsWith("/content.mbox"));
    if (match[1] === "no" && mboxes.length > 0) {
      throw new Error(`${mboxes[0]} is in the package, whose options (${options}) have no mbox`);
    }
    if (match[1] === "yes") {
      for (const name of files.keys()) {
        const inside = name.slice(root.length);
        const at = inside.lastIndexOf("/content/");
        if (inside.startsWith("data/") && inside.endsWith(".eml") && at >= 0 &&
          !files.has(root + inside.slice(0, at) + "/content.mbox")) {
          throw new Error(`${inside.slice(0, at)}/content.mbox is missing, though the options (${options}) call for it`);
        }
      }
    }
    return { format, text: `format 2 (${options})` };
  }

  // The rows of a CSV file (RFC 4180: quoted fields may hold commas, quotes and line breaks).
  function csvRows(source) {
    const rows = [];
    let row = [];
    let cell = "";
    let quoted = false;
    for (let i = 0; i < source.length; i++) {
      const c = source[i];
      if (quoted) {
        if (c === '"' && source[i + 1] === '"') { cell += '"'; i++; }
        else if (c === '"') quoted = false;
        else cell += c;
      } else if (c === '"') quoted = true;
      else if (c === ",") { row.push(cell); cell = ""; }
      else if (c === "\n" || (c === "\r" && source[i + 1] === "\n")) {
        if (c === "\r") i++;
        row.push(cell); rows.push(row); row = []; cell = "";
      } else cell += c;
    }
    if (cell !== "" || row.length > 0) { row.push(cell); rows.push(row); }
    return rows;
  }

  // Canonical member order (archive.order_key): by path, each part compared as UTF-8 bytes.
  const encoder = new TextEncoder();
  function compareNames(a, b) {
    const x = a.split("/").map((p) => encoder.encode(p));
    const y = b.split("/").map((p) => encoder.encode(p));
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      for (let j = 0; j < Math.min(x[i].length, y[i].length); j++) {
        if (x[i][j] !== y[i][j]) return x[i][j] - y[i][j];
      }
      if (x[i].length !== y[i].length) return x[i].length - y[i].length;
    }
    return x.length - y.length;
  }

  // The archive's member order is the one its format defines, so the archive is one fixed
  // sequence of bytes: the first format has the bag directory first, then every directory and
  // file depth first, sorted; the second has no directory entries, each message in the order
  // of data/index.csv, then every other file sorted.
  function checkOrder(files, root, format) {
    const order = files.order;
    if (format === "1") {
      if (order[0] !== root) throw new Error("the archive's first entry is not the bag directory");
      for (let i = 1; i < order.length; i++) {
        if (compareNames(order[i - 1].replace(/\/$/, ""), order[i].replace(/\/$/, "")) >= 0) {
          throw new Error(`archive entry ${order[i]} is out of canonical order`);
        }
      }
      return;
    }
    const directory = order.find((n) => n.endsWith("/"));
    if (directory !== undefined) {
      throw new Error(`archive entry ${directory} is a directory in an archive of files only`);
    }
    const rows = csvRows(text(files.get(root + "data/index.csv")));
    const messages = rows.slice(1).filter((r) => r[3] === "content").map((r) => root + r[5]);
    const listed = new Set(messages);
    const rest = order.filter((n) => !listed.has(n)).sort(compareNames);
    const expected = messages.concat(rest);
    for (let i = 0; i < Math.max(order.length, expected.length); i++) {
      if (order[i] !== expected[i]) {
        const [found, wanted] = [order[i], expected[i]].map((n) => (n === undefined ? "nothing" : n.slice(root.length)));
        throw new Error(`archive entry ${i + 1} is ${found}, where the canonical order has ${wanted}`);
      }
    }
  }

  async function check(file, publishedPem, report) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    report("SHA-256 of the file (compare with the portal's): " +
      hex(await crypto.subtle.digest("SHA-256", bytes)));
    const files = readTar(bytes);
    const roots = new Set(Array.from(files.keys(), (n) => n.split("/")[0]));
    if (roots.size !== 1) throw new Error("the archive does not hold exactly one bag folder");
    const root = roots.values().next().value + "/";
    const bag = layoutOf(files, root);
    const manifests = (kind) => bag.algorithms.map((a) => `${kind}-${a}.txt`);
    for (const name of ["bagit.txt", "bag-info.txt", "provider-key.pem", ...manifests("tagmanifest"),
      bag.signature, ...manifests("manifest")]) {
      if (!files.has(root + name)) throw new Error(`the package has no ${name}`);
    }
    const key = await crypto.subtle.importKey(
      "spki", pemToDer(publishedPem), { name: "Ed25519" }, false, ["verify"]);
    const signature = Uint8Array.from(
      atob(text(files.get(root + bag.signature)).trim()), (c) => c.charCodeAt(0));
    const signed = files.get(root + bag.signed);
    if (!(await crypto.subtle.verify({ name: "Ed25519" }, key, signature, signed))) {
      throw new Error(`the signature over ${bag.signed} is not valid under the published key`);
    }
    report("Signature: valid under the provider's published key.");
    if (text(files.get(root + "provider-key.pem")).trim() !== publishedPem.trim()) {
      throw new Error("the key inside the package is not the published key");
    }
    report("The key inside the package is the published key.");
    // The tag manifests and the one signature are the only files of the bag no manifest lists.
    const unlisted = new Set([...manifests("tagmanifest"), bag.signature]);
    for (const name of files.keys()) {
      const inside = name.slice(root.length);
      if (/^tagmanifest-/.test(inside) && !unlisted.has(inside)) {
        throw new Error(`${inside} is not a file of this package`);
      }
    }
    const isTag = (p) => !p.startsWith("data/") && !unlisted.has(p);
    let tags = 0;
    for (const algorithm of bag.algorithms) {
      tags = await checkManifest(files, root, `tagmanifest-${algorithm}.txt`, algorithm, isTag);
    }
    report(`Tag files: all ${tags} match ${manifests("tagmanifest").join(" and ")}.`);
    const declared = checkOptions(files, root, bag);
    report(`Package ${declared.text}, as bag-info.txt names it.`);
    const isPayload = (p) => p.startsWith("data/");
    let payload = 0;
    for (const algorithm of bag.algorithms) {
      payload = await checkManifest(files, root, `manifest-${algorithm}.txt`, algorithm, isPayload);
    }
    checkOrder(files, root, declared.format);
    report("Archive: its entries are in the canonical order of the package's format.");
    report(`Payload: all ${payload} files match ${manifests("manifest").join(" and ")}; none added or missing.`);
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
