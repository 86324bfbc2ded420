/**
 * What a provider chose to disclose in the document its `metadataURI` points to. Every field is optional:
 * node count and hardware are the provider's to disclose or not (nodes are not listed on chain).
 */
export interface ProviderMetadata {
  /** `ok`: the document was read; `none`: no URI; `unsupported`: a scheme this client cannot read;
   *  `unavailable`: the fetch failed; `invalid`: not a JSON object. */
  status: 'ok' | 'none' | 'unsupported' | 'unavailable' | 'invalid';
  name?: string;
  description?: string;
  website?: string;
  /** How many nodes the provider says it runs. */
  nodeCount?: number;
  /** A free-form description of the hardware (`"AMD EPYC 9654, 64 GB per node"`). */
  hardware?: string;
  /** The parsed document as published (for fields this package does not know). */
  document?: Record<string, unknown>;
  /** Why the document could not be read. */
  error?: string;
}

/** Options of {@link fetchProviderMetadata}. */
export interface MetadataOptions {
  /** Milliseconds before a fetch is abandoned (default 5000). */
  timeoutMs?: number;
  /** Largest document read, in bytes (default 64 KiB). */
  maxBytes?: number;
  /** Gateway for `ipfs://` URIs, e.g. `https://ipfs.io/ipfs/` (default none: `unsupported`). */
  ipfsGateway?: string;
}

function pick(document: Record<string, unknown>): ProviderMetadata {
  const metadata: ProviderMetadata = { status: 'ok', document };
  for (const field of ['name', 'description', 'website', 'hardware'] as const) {
    const value = document[field];
    if (typeof value === 'string' && value.length > 0) metadata[field] = value.slice(0, 1000);
  }
  const nodes = document.nodeCount;
  if (typeof nodes === 'number' && Number.isSafeInteger(nodes) && nodes >= 0) metadata.nodeCount = nodes;
  return metadata;
}

/**
 * Reads a provider's metadata document (`data:`, `https:`/`http:`, or `ipfs:` through a gateway) with
 * `fetch`. Never throws for a bad document: the result says what went wrong.
 *
 * @example
 * ```ts
 * const metadata = await fetchProviderMetadata('data:application/json,{"name":"Acme","nodeCount":3}');
 * console.log(metadata.name, metadata.nodeCount); // Acme 3
 * ```
 */
export async function fetchProviderMetadata(uri: string, options: MetadataOptions = {}): Promise<ProviderMetadata> {
  if (typeof uri !== 'string') throw new TypeError('uri must be a string.');
  if (uri.length === 0) return { status: 'none' };
  let url = uri;
  if (/^ipfs:\/\//i.test(uri)) {
    if (!options.ipfsGateway) return { status: 'unsupported', error: 'ipfs:// needs the ipfsGateway option' };
    url = options.ipfsGateway.replace(/\/?$/, '/') + uri.slice('ipfs://'.length);
  } else if (!/^(https?:|data:)/i.test(uri)) {
    return { status: 'unsupported', error: `unsupported URI scheme in ${uri.slice(0, 40)}` };
  }
  const maxBytes = options.maxBytes ?? 65_536;
  let text: string;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 5000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    text = await response.text();
  } catch (error) {
    return { status: 'unavailable', error: (error as Error)?.message ?? String(error) };
  }
  if (text.length > maxBytes) return { status: 'invalid', error: `document larger than ${maxBytes} bytes` };
  try {
    const document: unknown = JSON.parse(text);
    if (typeof document !== 'object' || document === null || Array.isArray(document))
      throw new Error('not a JSON object');
    return pick(document as Record<string, unknown>);
  } catch (error) {
    return { status: 'invalid', error: (error as Error).message };
  }
}
