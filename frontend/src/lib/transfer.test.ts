import { describe, expect, it } from 'vitest';
import { errorMessage, upload, uploadURL, type UploadRequest } from './transfer';

// fakeRequest answers like serve's upload route once sent.
function fakeRequest(status: number, body: string) {
  const seen: { method?: string; url?: string; headers: Record<string, string>; body?: Blob } = { headers: {} };
  const req: UploadRequest = {
    open(method, url) {
      seen.method = method;
      seen.url = url;
    },
    setRequestHeader(name, value) {
      seen.headers[name] = value;
    },
    send(b) {
      seen.body = b;
      req.upload.onprogress?.({ loaded: 3, total: 6, lengthComputable: true });
      req.status = status;
      req.responseText = body;
      req.onload?.();
    },
    upload: { onprogress: null },
    onload: null,
    onerror: null,
    status: 0,
    responseText: '',
  };
  return { req, seen };
}

describe('upload', () => {
  it('puts the file to the datasets route and resolves to its path on the server', async () => {
    const { req, seen } = fakeRequest(201, '{"path":"/ws/datasets/my chats.jsonl","bytes":6}');
    const progress: [number, number][] = [];
    const file = new File(['abcdef'], 'my chats.jsonl');
    const path = await upload(file, (d, t) => progress.push([d, t]), { request: () => req });
    expect(path).toBe('/ws/datasets/my chats.jsonl');
    expect(seen.method).toBe('PUT');
    expect(seen.url).toBe('/api/v1/datasets/files/my%20chats.jsonl');
    expect(seen.headers['Content-Type']).toBe('application/octet-stream');
    expect(seen.body).toBe(file);
    expect(progress).toEqual([
      [3, 6],
      [6, 6],
    ]);
  });

  it("rejects with the server's message", async () => {
    const { req } = fakeRequest(409, '{"error":{"code":"conflict","message":"chats.jsonl is already in the datasets folder"}}');
    await expect(upload(new File(['x'], 'chats.jsonl'), () => {}, { request: () => req })).rejects.toThrow('uploading chats.jsonl: chats.jsonl is already in the datasets folder');
  });

  it('asks to replace only when told', () => {
    expect(uploadURL('a.csv')).toBe('/api/v1/datasets/files/a.csv');
    expect(uploadURL('a/b.csv', true)).toBe('/api/v1/datasets/files/a%2Fb.csv?overwrite=true');
  });

  it('reads the error shape, and falls back for other answers', () => {
    expect(errorMessage(413, '{"error":{"code":"too_large","message":"too big"}}')).toBe('too big');
    expect(errorMessage(502, '<html>bad gateway</html>')).toBe('the server answered HTTP 502');
  });
});
