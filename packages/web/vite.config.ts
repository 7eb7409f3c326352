import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The admin SPA. `npm start` serves dist/ from the local runtime; on AWS the SST web
// stack uploads it and sets VITE_API_URL to the API's URL (same origin when unset).
export default defineConfig({
  plugins: [react()],
  // The repo root has React 18 (SST's CLI); libraries hoisted there must still get this app's React 19.
  resolve: { dedupe: ["react", "react-dom", "react/jsx-runtime", "scheduler"] },
  build: {
    target: "es2022",
    outDir: "dist",
    emptyOutDir: true,
    // The initial JS is checked by the bench (≤ 250 KB gzipped); pages and charts load lazily.
    chunkSizeWarningLimit: 400,
  },
  server: {
    // `npm run dev -w @sambung/web` next to `npm start`: the API stays on the hub's port.
    proxy: { "/api": "http://127.0.0.1:8787", "/webhook": "http://127.0.0.1:8787", "/health": "http://127.0.0.1:8787" },
  },
});
