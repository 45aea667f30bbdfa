// systemd readiness and watchdog. NOTIFY_SOCKET is a datagram socket, which Node cannot write to
// without a native addon, so the messages go through systemd's own `systemd-notify` program; the
// units set NotifyAccess=all so systemd accepts them from that child process.
import { execa } from 'execa';

export function notifySystemd(message: string): void {
  if (!process.env.NOTIFY_SOCKET) return;
  execa('systemd-notify', [`--pid=${process.pid}`, message], { reject: false, stdio: 'ignore' }).catch(() => undefined);
}

/** Watchdog pings at half the interval systemd asks for (WATCHDOG_USEC). Returns a stop function. */
export function startWatchdog(healthy: () => boolean): () => void {
  const usec = Number(process.env.WATCHDOG_USEC ?? 0);
  if (!process.env.NOTIFY_SOCKET || !usec) return () => undefined;
  const timer = setInterval(() => {
    if (healthy()) notifySystemd('WATCHDOG=1');
  }, Math.max(1000, usec / 2000));
  timer.unref();
  return () => clearInterval(timer);
}
