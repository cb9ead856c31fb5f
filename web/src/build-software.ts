// The code this page was built from (web/vite.config.ts defines __CHANNELSCOPE_SOFTWARE__): what a
// record trained here and a benchmark measured here name, as `channelscope run` and `npm run bench` do.
declare const __CHANNELSCOPE_SOFTWARE__: string | undefined;

/** undefined where the page was not built by web/vite.config.ts */
export const BUILD_SOFTWARE = typeof __CHANNELSCOPE_SOFTWARE__ === 'string' ? __CHANNELSCOPE_SOFTWARE__ : undefined;
