export * from './errors.js';
export * from './extract.js';
export { decodeEntities, type HtmlLink, htmlToText, looksLikeHtml } from './html-text.js';
