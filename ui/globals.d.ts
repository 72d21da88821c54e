// What the page uses of Tauri's injected globals (the window has no npm packages).
interface TauriInternals {
  invoke(cmd: string, args?: Record<string, unknown>): Promise<unknown>;
  transformCallback(handler: (event: unknown) => void): number;
}

interface Window {
  __TAURI_INTERNALS__: TauriInternals;
}
