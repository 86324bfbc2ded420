/** Receipts: what one request used, signed by the node's signer into the response's `mu-receipt` header. */

/** A signed-receipt input: what one request used. */
export interface Receipt {
  jobId: string;
  requestId: string;
  sha256: string;
  status: number;
  wallMs: number;
  cpuMs: number;
  memoryBytes: number;
  bytesIn: number;
  bytesOut: number;
  at: number;
}

/**
 * The response with its receipt signed into a `mu-receipt` header. A failing signer must not lose the app's answer:
 * `onFailure` hears of it and the response goes out unsigned.
 */
export function signResponse(
  response: Response,
  receipt: Receipt,
  sign: (receipt: Receipt) => string | Promise<string>,
  onFailure: (error: unknown) => void,
): Promise<Response> {
  return new Promise<string>((resolve) => resolve(sign(receipt))).then(
    (signature) => {
      response.headers.set('mu-receipt', signature);
      return response;
    },
    (error: unknown) => {
      onFailure(error);
      return response;
    },
  );
}
