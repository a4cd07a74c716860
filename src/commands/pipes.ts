/**
 * A closed pipe on stdout or stderr (`srvctl plan c.yaml | head -1`) is the reader saying
 * "enough", not an error. Without a listener Node turns the EPIPE into an uncaught
 * exception and a stack trace. From the first EPIPE on, the stream's writes are dropped
 * and the command runs to its end with its own exit code: a `sync` whose reader left
 * still finishes (or fails) as a whole instead of stopping between write and verify.
 */
export function guardPipes(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
      silence(stream);
    });
  }
}

function silence(stream: NodeJS.WriteStream): void {
  // Callers write through process.stdout.write at call time, so replacing it suffices.
  stream.write = ((_chunk: unknown, encoding?: unknown, cb?: unknown) => {
    const done = typeof encoding === 'function' ? encoding : cb;
    if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
    return true;
  }) as NodeJS.WriteStream['write'];
}
