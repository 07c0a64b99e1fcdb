/**
 * Paths into a manifest's data (JSON paths, as Ajv reports them) and where
 * they are in the YAML file (line:column), through aliases and merge keys,
 * so every problem can be reported at its place.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node as YamlNode, type Pair } from 'yaml';

export type Segment = string | number;

/** Where data paths are in one parsed YAML document, as 1-based line:column. */
export class Locator {
  constructor(private readonly doc: Document, private readonly lines: LineCounter) {}

  /** line:column of an offset (1-based) */
  at(offset: number): { line: number; column: number } {
    const p = this.lines.linePos(offset);
    return { line: Math.max(p.line, 1), column: p.col };
  }

  /**
   * Where a JSON path is in the file: its value (or, with `key`, its key).
   * A path that is not in the file as written (a merge key's value, a
   * missing field) gives the nearest enclosing node.
   */
  locate(path: readonly Segment[], key = false): { line: number; column: number } {
    let node: unknown = this.doc.contents;
    let best = this.offsetOf(node) ?? 0;
    for (let i = 0; i < path.length; i++) {
      node = this.deref(node);
      const seg = path[i]!;
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = this.findPair(node.items as Pair[], String(seg), 0);
        if (!pair) break;
        if (last && key) return this.at(this.offsetOf(pair.key) ?? best);
        const keyAt = this.offsetOf(pair.key);
        const valueAt = this.offsetOf(pair.value);
        // an empty value (`module:`) has no useful position: use the key's
        best = valueAt !== undefined && !(isScalar(pair.value) && pair.value.value === null) ? valueAt : keyAt ?? best;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        const at = this.offsetOf(item);
        if (at === undefined) break;
        best = at;
        node = item;
      } else {
        break;
      }
    }
    return this.at(best);
  }

  private deref(node: unknown): unknown {
    for (let i = 0; i < 100 && isAlias(node); i++) node = node.resolve(this.doc);
    return node;
  }

  private findPair(items: Pair[], key: string, depth: number): Pair | undefined {
    for (const p of items) if (isScalar(p.key) && typeof p.key.value !== 'symbol' && String(p.key.value) === key) return p;
    if (depth > 10) return undefined;
    // merge keys (<<: *base): the field comes from the merged mapping(s)
    for (const p of items) {
      const k = isScalar(p.key) ? p.key.value : undefined;
      if (!(k === '<<' || (typeof k === 'symbol' && k.description === '<<'))) continue;
      const sources = isSeq(p.value) ? p.value.items : [p.value];
      for (const s of sources) {
        const m = this.deref(s);
        if (isMap(m)) {
          const found = this.findPair(m.items as Pair[], key, depth + 1);
          if (found) return found;
        }
      }
    }
    return undefined;
  }

  private offsetOf(node: unknown): number | undefined {
    const range = (node as YamlNode | null | undefined)?.range;
    return range ? range[0] : undefined;
  }
}

/** How a path reads in messages: agents[0].name, metadata["a b"]. */
export function pathText(path: readonly Segment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Ajv's JSON pointer (/agents/0/name) as a path, with numbers where the data has lists. */
export function pointerToPath(pointer: string, data: unknown): Segment[] {
  if (pointer === '') return [];
  const out: Segment[] = [];
  let here: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(here)) {
      out.push(Number(seg));
      here = here[Number(seg)];
    } else {
      out.push(seg);
      here = here && typeof here === 'object' ? (here as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

export function valueAtPath(data: unknown, path: readonly Segment[]): unknown {
  let here = data;
  for (const seg of path) here = here && typeof here === 'object' ? (here as Record<string | number, unknown>)[seg] : undefined;
  return here;
}
