// A file sent to `whetstone serve` from the browser: a dataset uploaded
// into the workspace's datasets folder (PUT /api/v1/datasets/files/{name}).
// The desktop window has native dialogs and reads files where they are, so
// it needs none (exports download through lib/exporting.ts). Requests carry the session
// cookie the printed URL set, like every other call of the page.

/** The part of XMLHttpRequest an upload uses (replaced in tests). */
export interface UploadRequest {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  send(body: Blob): void;
  upload: { onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  status: number;
  responseText: string;
}

export interface UploadOptions {
  /** Replace a file of the same name uploaded before. */
  overwrite?: boolean;
  /** Makes the request; fetch has no upload progress, so XMLHttpRequest. */
  request?: () => UploadRequest;
}

/** The URL a dataset file of this name is uploaded to. */
export function uploadURL(name: string, overwrite = false): string {
  return `/api/v1/datasets/files/${encodeURIComponent(name)}${overwrite ? '?overwrite=true' : ''}`;
}

/** The message of an answer in the versioned API's error shape, or a fallback. */
export function errorMessage(status: number, body: string): string {
  try {
    const msg = (JSON.parse(body) as { error?: { message?: string } }).error?.message;
    if (msg) return msg;
  } catch {
    /* not JSON: a proxy's page, say */
  }
  return `the server answered HTTP ${status}`;
}

/**
 * Sends a file to the workspace's datasets folder and resolves to its path
 * on the server, the one a run config's dataset.path takes. onProgress gets
 * the bytes sent so far and the total as the upload goes.
 */
export function upload(file: File, onProgress: (done: number, total: number) => void, opts: UploadOptions = {}): Promise<string> {
  const xhr = (opts.request ?? (() => new XMLHttpRequest() as unknown as UploadRequest))();
  return new Promise((resolve, reject) => {
    xhr.open('PUT', uploadURL(file.name, opts.overwrite));
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => reject(new Error(`uploading ${file.name} failed: the connection to the server was lost`));
    xhr.onload = () => {
      if (xhr.status !== 201 && xhr.status !== 200) {
        reject(new Error(`uploading ${file.name}: ${errorMessage(xhr.status, xhr.responseText)}`));
        return;
      }
      try {
        const { path } = JSON.parse(xhr.responseText) as { path: string };
        onProgress(file.size, file.size);
        resolve(path);
      } catch {
        reject(new Error(`uploading ${file.name}: the server's answer has no path`));
      }
    };
    xhr.send(file);
  });
}
