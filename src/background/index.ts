const t = performance.now();
(self as any).__probe = { t, origin: performance.timeOrigin };
