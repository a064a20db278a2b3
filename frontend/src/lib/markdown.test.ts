// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from './markdown';

function dom(html: string): HTMLElement {
  const d = document.createElement('div');
  d.innerHTML = html;
  return d;
}

describe('renderMarkdown', () => {
  it('renders the Markdown a model writes', () => {
    const d = dom(renderMarkdown('**Bold** and *it*\n\n- one\n- two\n\n```go\nfmt.Println("<hi>")\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |'));
    expect(d.querySelector('strong')?.textContent).toBe('Bold');
    expect(d.querySelector('em')?.textContent).toBe('it');
    expect(d.querySelectorAll('li')).toHaveLength(2);
    expect(d.querySelector('pre code')?.textContent).toBe('fmt.Println("<hi>")\n');
    expect(d.querySelector('td')?.textContent).toBe('1');
  });

  it('keeps single newlines as line breaks', () => {
    expect(dom(renderMarkdown('one\ntwo')).querySelector('br')).not.toBeNull();
  });

  it('lets no script, handler or javascript: link through', () => {
    const attacks = [
      '<script>alert(1)</script>',
      '<img src=x onerror="alert(1)">',
      '<a href="javascript:alert(1)">x</a>',
      '[click](javascript:alert(1))',
      '![x](http://tracker.example/p.png" onerror="alert(1))',
      '<div onclick="alert(1)" class="error" style="position:fixed">x</div>',
      '<svg><script>alert(1)</script></svg>',
      '<iframe src="https://evil.example"></iframe>',
    ];
    for (const a of attacks) {
      const html = renderMarkdown(a);
      const d = dom(html);
      expect(d.querySelector('script, img, iframe, svg, div, [onerror], [onclick], [style], [class]'), a).toBeNull();
      for (const link of d.querySelectorAll('a')) expect(link.getAttribute('href') ?? '', a).not.toMatch(/^javascript:/i);
      // What survives is text: "onerror=" may be read, never run.
      expect(html, a).not.toMatch(/<(script|img|iframe|svg|div)/i);
    }
  });

  it('shows raw HTML as the text the model wrote', () => {
    expect(dom(renderMarkdown('Use <b>tags</b>')).textContent?.trim()).toBe('Use <b>tags</b>');
  });

  it('turns images into links and opens links outside the app', () => {
    const a = dom(renderMarkdown('![cat](https://example.com/cat.png) [docs](https://example.com)')).querySelectorAll('a');
    expect([...a].map((x) => [x.textContent, x.getAttribute('href'), x.getAttribute('target'), x.getAttribute('rel')])).toEqual([
      ['cat', 'https://example.com/cat.png', '_blank', 'noopener noreferrer'],
      ['docs', 'https://example.com', '_blank', 'noopener noreferrer'],
    ]);
  });
});
