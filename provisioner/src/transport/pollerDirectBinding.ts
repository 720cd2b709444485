/**
 * serialport's own binding (bindings-cpp) with reads and writes done on the port's file
 * descriptor directly, once its poller says the port is ready, instead of through libuv's thread
 * pool.
 *
 * Why: bindings-cpp reads with fs.read (a thread-pool request per read, plus an EAGAIN exception
 * and a second request every time the port has nothing to read) and writes with fs.write (a
 * thread-pool request per frame). A fob's frame is a few dozen bytes: the hand-off to and from
 * the pool cost the station 2-2.5 ms of its main thread per fob at sixteen ports, about a quarter
 * of its CPU, and the pool is the one that also carries the journal's fsyncs. The port is opened
 * non-blocking, so a read after 'readable' and a write of a frame return at once.
 *
 * Opening, settings, the poller and close stay bindings-cpp's. Ports without a poller (Windows)
 * keep the original binding untouched.
 */
import { readSync, writeSync } from 'node:fs';
import { SerialPort } from 'serialport';

type BindingInterface = typeof SerialPort.binding;
type PortBinding = Awaited<ReturnType<BindingInterface['open']>>;

interface UnixPort {
  fd: number | null;
  readonly isOpen: boolean;
  poller: { once(event: 'readable' | 'writable', cb: (err?: Error | null) => void): unknown };
}

/** The codes bindings-cpp treats as the device going away (a pulled cable, a closed pty). */
function markDisconnect(err: NodeJS.ErrnoException): NodeJS.ErrnoException {
  if (err.code === 'EBADF' || err.code === 'ENXIO' || err.code === 'UNKNOWN' || err.errno === -1) {
    (err as NodeJS.ErrnoException & { disconnect?: boolean }).disconnect = true;
  }
  return err;
}

function isRetry(err: NodeJS.ErrnoException): boolean {
  return err.code === 'EAGAIN' || err.code === 'EWOULDBLOCK' || err.code === 'EINTR';
}

function notOpen(): Error {
  return Object.assign(new Error('Port is not open'), { canceled: true });
}

function ready(port: UnixPort, event: 'readable' | 'writable'): Promise<void> {
  return new Promise((resolve, reject) => {
    port.poller.once(event, (err) => (err ? reject(err) : resolve()));
  });
}

function patch(port: PortBinding & UnixPort): PortBinding {
  port.read = async (buffer: Buffer, offset: number, length: number) => {
    for (;;) {
      // Wait first: after a frame there is usually nothing more, and the poller (level-triggered)
      // fires at once when there is. A read that would block costs an exception; this skips it.
      await ready(port, 'readable');
      if (!port.isOpen || port.fd === null) throw notOpen();
      try {
        const bytesRead = readSync(port.fd, buffer, offset, length, null);
        if (bytesRead > 0) return { buffer, bytesRead };
      } catch (e) {
        if (!isRetry(e as NodeJS.ErrnoException)) throw markDisconnect(e as NodeJS.ErrnoException);
      }
    }
  };
  port.write = async (buffer: Buffer) => {
    let offset = 0;
    while (offset < buffer.length) {
      if (!port.isOpen || port.fd === null) throw new Error('Port is not open');
      try {
        offset += writeSync(port.fd, buffer, offset, buffer.length - offset);
      } catch (e) {
        if (!isRetry(e as NodeJS.ErrnoException)) throw markDisconnect(e as NodeJS.ErrnoException);
        await ready(port, 'writable');
      }
    }
  };
  return port;
}

/** serialport's detected binding, with direct reads and writes where the port has a poller. */
export const pollerDirectBinding: BindingInterface = {
  list: () => SerialPort.binding.list(),
  async open(options: Parameters<BindingInterface['open']>[0]) {
    const port = await SerialPort.binding.open(options);
    const unix = port as PortBinding & Partial<UnixPort>;
    return typeof unix.fd === 'number' && unix.poller ? patch(unix as PortBinding & UnixPort) : port;
  },
} as BindingInterface;
