// A QR code drawn on a canvas (no data: URL or inline markup, so the page's CSP stays strict).
import { useEffect, useRef } from 'preact/hooks';
import qrcode from 'qrcode-generator';

export function QrCode({ text, size = 160, label }: { text: string; size?: number; label: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const qr = qrcode(0, 'M');
    qr.addData(text);
    qr.make();
    const n = qr.getModuleCount();
    const quiet = 2;
    const cell = Math.max(1, Math.floor(size / (n + quiet * 2)));
    c.width = c.height = cell * (n + quiet * 2);
    const g = c.getContext('2d')!;
    g.fillStyle = '#fff';
    g.fillRect(0, 0, c.width, c.height);
    g.fillStyle = '#111';
    for (let r = 0; r < n; r++) for (let col = 0; col < n; col++) if (qr.isDark(r, col)) g.fillRect((col + quiet) * cell, (r + quiet) * cell, cell, cell);
  }, [text, size]);
  return <canvas ref={canvas} class="qr" role="img" aria-label={label} data-qr={text} />;
}
