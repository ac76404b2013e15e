/** What the stack asks of the local endpoint process over IPC. */
export type EndpointRequest =
  | { readonly kind: 'serve'; readonly id: number; readonly path: string; readonly version: string }
  | { readonly kind: 'close' };

/** What the local endpoint process answers. */
export type EndpointReply =
  | { readonly kind: 'listening'; readonly url: string }
  | { readonly kind: 'served'; readonly id: number; readonly version: string }
  | { readonly kind: 'failed'; readonly id: number; readonly message: string };
