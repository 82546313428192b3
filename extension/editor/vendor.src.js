// The editor library, bundled into editor/vendor.js by build.sh (esbuild, at build time; nothing is loaded
// from elsewhere at run time): Squire (Fastmail's rich-text editor for mail, MIT) and DOMPurify (the HTML
// sanitiser Squire is built to use, Apache-2.0 or MPL-2.0). Their licence texts stay in the bundle.
export { default as Squire } from "squire-rte";
export { default as DOMPurify } from "dompurify";
