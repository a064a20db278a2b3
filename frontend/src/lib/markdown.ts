// Chat answers as Markdown. A model's output is untrusted text: whatever it
// writes (raw HTML, <script>, onerror=, javascript: links, tracking images)
// must not run or load anything in the window, which can call every
// service. So raw HTML is shown as text, images become links, and the HTML
// marked produces is sanitized again by DOMPurify with a short allow-list
// (defence in depth: marked is a Markdown renderer, not a sanitizer).

import DOMPurify from 'dompurify';
import { Marked } from 'marked';

function escapeHTML(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const marked = new Marked({
  gfm: true,
  // A model's single newlines are meant as line breaks.
  breaks: true,
  async: false,
  renderer: {
    // Raw HTML in an answer is shown as the text the model wrote.
    html: ({ text }) => escapeHTML(text),
    // An image would be fetched as soon as it is shown (a remote address
    // learns that the answer was read); a link is fetched only when followed.
    image: ({ href, text }) => `<a href="${escapeHTML(href)}">${escapeHTML(text || href)}</a>`,
  },
});

const ALLOWED_TAGS = [
  'p', 'br', 'strong', 'em', 'del', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'a', 'hr',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'input',
];
// No class or style: an answer must not borrow the app's own look (an
// "error" box, a hidden overlay). input is GFM's task-list checkbox.
const ALLOWED_ATTR = ['href', 'title', 'start', 'align', 'type', 'checked', 'disabled'];

let hooked = false;

function purify(html: string): string {
  if (!hooked) {
    // Links open outside the app: in the window a followed link would
    // replace the app itself.
    DOMPurify.addHook('afterSanitizeAttributes', (node) => {
      if (node.tagName === 'A') {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer');
      }
      if (node.tagName === 'INPUT' && node.getAttribute('type') !== 'checkbox') node.remove();
    });
    hooked = true;
  }
  return DOMPurify.sanitize(html, { ALLOWED_TAGS, ALLOWED_ATTR, ADD_ATTR: ['target', 'rel'] });
}

/** An answer's Markdown as safe HTML, for {@html}. */
export function renderMarkdown(text: string): string {
  return purify(marked.parse(text, { async: false }) as string);
}
