using Microsoft.Playwright;

namespace OkrGrid.Tests.Browser;

/// <summary>
/// Looks at a rendered page the way a person reads it and names what is broken: text cut off, things drawn over each
/// other, panels with a heading and nothing under it, placeholders squeezed to one word a line, and numbers no one
/// should ever see ("NaN", "Infinity", "-0 %", a negative share, an uptime over 100 %). It measures what the browser
/// laid out (text line boxes, clip boxes), so it knows nothing about the app's classes: reuse it on any page.
/// </summary>
/// <remarks>
/// The rules, as they decide what counts:
/// <list type="bullet">
/// <item><b>Clipped text.</b> A line of visible text that sticks out of an ancestor which hides its overflow
/// (<c>overflow: hidden</c> or <c>clip</c>, on that axis) by more than 1 px sideways or more than a quarter of its font
/// size downwards (less is the ink of descenders and line-height rounding, not lost text); and an element with text
/// whose own <c>scrollWidth</c> exceeds <c>clientWidth</c> + 1 while it hides overflow (this is how an ellipsis shows
/// up). A page whose root hides overflow (a kiosk wall) clips at the window: text below or right of it is cut too.
/// Boxes that scroll (<c>auto</c>/<c>scroll</c>) are not clipping: the text can be reached. <b>Allowed:</b> a cut whose
/// element, or an ancestor, carries a <c>title</c> containing the element's whole text — a person can still read
/// it by pointing at it. Boxes of 2 px or less (screen-reader-only text) are deliberate and skipped. Each cut is named
/// once, at the innermost element.</item>
/// <item><b>Cut form values.</b> What a form control shows as its value is read like any text: an <c>input</c>'s
/// value or a native <c>select</c>'s chosen option wider than the control's content box (measured with the control's
/// own font; a select loses its arrow's width too), and the chosen option a MudSelect draws in its
/// <c>.mud-input-slot</c> (text, so the rules above apply). That the field scrolls or opens does not make a value
/// shown cut off readable: a person sees "Delight customers so much they recomm…" and has to guess. <b>Allowed:</b>
/// a <c>title</c> carrying the whole value, as above; passwords, hidden inputs and non-text controls (checkboxes,
/// ranges, colours, files) are not read. Textareas are left out: they wrap, and scroll only what does not fit
/// their rows.</item>
/// <item><b>Overlaps.</b> Two visible lines of text, from different text nodes, whose boxes intersect by more than
/// 2 px both ways, counting only the part that is drawn (a line cut by a box that clips it is cut there first);
/// and two in-flow siblings (not absolutely/fixed positioned) with text or card-like boxes
/// (a background or border) that intersect by more than 2 px both ways. Left out: anything inside SVG, tooltips and
/// popovers (<c>[role=tooltip]</c>, <c>.mud-popover</c>, <c>.mud-tooltip</c>, <c>.mud-overlay</c>),
/// <c>aria-hidden</c> decorations and invisible (opacity 0 / visibility hidden) boxes.</item>
/// <item><b>Empty placeholders.</b> A visible panel (<c>section</c>, <c>article</c>, <c>aside</c>, MudBlazor paper or
/// card, or a class naming a card/panel/tile) with a heading (h1–h6, <c>[role=heading]</c>) and no other visible text,
/// image, chart or control in it. And text of three words or more laid out one word a line: as many line boxes as
/// words (less one), or three lines or more in a box narrower than 80 px.</item>
/// <item><b>Impossible numbers.</b> "NaN", "Infinity"/"∞", a negative zero ("-0", "−0 %"), a percentage over 1000 %,
/// a percentage over 100 % beside a word naming a bounded share (uptime, availability, confidence, elapsed, share,
/// complete), and a negative percentage unless its element or an ancestor is a change (a class with delta, change or
/// trend in it, or an explicit "+"/"−" change written as "pt"/"vs").</item>
/// </list>
/// Each problem is one line: the kind, the element as <c>tag.class</c> and the first 40 characters of its text.
/// </remarks>
public static class LayoutProbe
{
    /// <summary>Every problem on the page as it is laid out now (empty when none); looked for under <paramref name="within"/>.</summary>
    public static async Task<IReadOnlyList<string>> LayoutProblemsAsync(IPage page, string within = "body") =>
        await page.EvaluateAsync<string[]>(Script, within);

    private const string Script = """
        within => {
          const root = document.querySelector(within) ?? document.body;
          const problems = [];
          const seen = new Set();
          const add = (kind, el, detail) => {
            const key = kind + '|' + describe(el) + '|' + (detail ?? '');
            if (seen.has(key)) return;
            seen.add(key);
            problems.push(`${kind}: ${describe(el)}${detail ? ' — ' + detail : ''}`);
          };
          const norm = s => (s ?? '').replace(/\s+/g, ' ').trim();
          function describe(el) {
            const cls = typeof el.className === 'string' ? el.className.trim().split(/\s+/).filter(c => c).slice(0, 3).join('.') : '';
            // A form control's text is its value (an input's, or a select's chosen option), not its markup.
            const text = norm(el instanceof HTMLSelectElement ? el.selectedOptions[0]?.text : el instanceof HTMLInputElement ? el.value : (el.innerText ?? el.textContent)).slice(0, 40);
            return `${el.tagName.toLowerCase()}${cls ? '.' + cls : ''} "${text}"`;
          }
          const styleOf = new Map();
          const cs = el => { let s = styleOf.get(el); if (!s) { s = getComputedStyle(el); styleOf.set(el, s); } return s; };
          const layered = el => !!el.closest('svg, [role=tooltip], .mud-popover, .mud-tooltip, .mud-overlay, [aria-hidden=true], script, style, noscript, template');
          const visible = el => el.checkVisibility({ opacityProperty: true, visibilityProperty: true, contentVisibilityAuto: true });
          const clips = v => v === 'hidden' || v === 'clip';
          // Inputs' and selects' values are not text nodes: they are measured on their own below. A textarea wraps.
          const formValue = 'input, textarea, select';
          const titled = (el, text) => {
            for (let e = el; e && e !== document.documentElement; e = e.parentElement)
              if (e.title && norm(e.title).includes(norm(text))) return true;
            return false;
          };

          // Visible text nodes with their line boxes.
          const texts = [];
          const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
          for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            const el = n.parentElement;
            if (!el || !norm(n.textContent) || layered(el) || el.closest(formValue) || !visible(el)) continue;
            const range = document.createRange();
            range.selectNodeContents(n);
            const rects = [...range.getClientRects()].filter(r => r.width > 0.5 && r.height > 0.5);
            if (rects.length) texts.push({ node: n, el, rects, text: norm(n.textContent) });
          }

          // (a) Clipped text: a line box outside a clipping ancestor's padding box.
          const rootStyle = cs(document.documentElement), bodyStyle = cs(document.body);
          const pageClipsY = clips(rootStyle.overflowY) || clips(bodyStyle.overflowY);
          const pageClipsX = clips(rootStyle.overflowX) || clips(bodyStyle.overflowX);
          const reported = new Set();
          for (const t of texts) {
            const font = parseFloat(cs(t.el).fontSize) || 16;
            const downTolerance = Math.max(1, font / 4);
            let cut = null;
            for (let a = t.el; a && a !== document.body && a !== document.documentElement && !cut; a = a.parentElement) {
              const s = cs(a);
              const cx = clips(s.overflowX), cy = clips(s.overflowY);
              if (!cx && !cy) continue;
              const box = a.getBoundingClientRect();
              if (box.width <= 2 || box.height <= 2) { cut = 'skip'; break; }
              const left = box.left + a.clientLeft, top = box.top + a.clientTop;
              const right = left + a.clientWidth, bottom = top + a.clientHeight;
              for (const r of t.rects) {
                if (cx && (r.right > right + 1 || r.left < left - 1)) { cut = a; break; }
                if (cy && (r.bottom > bottom + downTolerance || r.top < top - downTolerance)) { cut = a; break; }
              }
            }
            if (!cut) {
              for (const r of t.rects) {
                if ((pageClipsY && r.bottom > window.innerHeight + Math.max(1, font / 4)) || (pageClipsX && r.right > window.innerWidth + 1)) { cut = document.body; break; }
              }
            }
            if (cut && cut !== 'skip' && !titled(t.el, t.el.textContent) && !reported.has(t.el) && reported.add(t.el))
              add('clipped text', t.el, cut === t.el ? 'cut by its own box' : cut === document.body ? 'runs off the screen' : `cut by ${describe(cut).split(' "')[0]}`);
          }
          // An element that hides overflow and whose text is wider than it (an ellipsis shows nothing of what is cut).
          for (const el of root.querySelectorAll('*')) {
            if (layered(el) || el.matches(formValue) || !norm(el.textContent) || reported.has(el)) continue;
            const s = cs(el);
            if (!clips(s.overflowX) || el.clientWidth <= 2 || el.scrollWidth <= el.clientWidth + 1) continue;
            if (!visible(el) || titled(el, el.textContent)) continue;
            const has = texts.some(t => el.contains(t.node));
            // Once per cut: not again for a box whose cut text was already named.
            if (has && ![...reported].some(r => el.contains(r))) {
              reported.add(el);
              add('clipped text', el, `${el.scrollWidth - el.clientWidth}px of text hidden${s.textOverflow === 'ellipsis' ? ' behind an ellipsis without a title' : ''}`);
            }
          }
          // A form control's value wider than the control's content box: the person sees only the start of it.
          const measure = document.createElement('canvas').getContext('2d');
          const textual = /^(text|search|email|url|tel|number|)$/;
          for (const el of root.querySelectorAll('input, select')) {
            if (el instanceof HTMLInputElement && !textual.test(el.type)) continue;
            const value = el instanceof HTMLSelectElement ? el.selectedOptions[0]?.text ?? '' : el.value;
            if (!norm(value) || layered(el) || !visible(el) || el.clientWidth <= 2 || titled(el, value)) continue;
            const s = cs(el);
            measure.font = `${s.fontStyle} ${s.fontWeight} ${s.fontSize} / ${s.lineHeight} ${s.fontFamily}`;
            const spacing = parseFloat(s.letterSpacing) || 0;
            const wide = measure.measureText(value).width + spacing * value.length;
            // A native select draws its arrow inside its box, next to the chosen option.
            const arrow = el instanceof HTMLSelectElement && s.appearance !== 'none' ? 20 : 0;
            const room = el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight) - arrow;
            if (wide > room + 1) add('clipped text', el, `value ${Math.round(wide - room)}px wider than its field`);
          }
          if (document.documentElement.scrollWidth > document.documentElement.clientWidth + 1)
            add('page wider than the screen', document.documentElement, `${document.documentElement.scrollWidth - document.documentElement.clientWidth}px`);

          // (b) Overlaps: text on text — what is drawn of it, i.e. each line box cut to the boxes that clip it (the hidden
          // part of a cut title is reported above and is not drawn over anything).
          for (const t of texts) {
            let shown = t.rects.map(r => ({ left: r.left, top: r.top, right: r.right, bottom: r.bottom }));
            for (let a = t.el; a && a !== document.body && a !== document.documentElement; a = a.parentElement) {
              const s = cs(a);
              const cx = clips(s.overflowX), cy = clips(s.overflowY);
              if (!cx && !cy) continue;
              const box = a.getBoundingClientRect();
              const left = box.left + a.clientLeft, top = box.top + a.clientTop;
              shown = shown.map(r => ({
                left: cx ? Math.max(r.left, left) : r.left, right: cx ? Math.min(r.right, left + a.clientWidth) : r.right,
                top: cy ? Math.max(r.top, top) : r.top, bottom: cy ? Math.min(r.bottom, top + a.clientHeight) : r.bottom,
              }));
            }
            t.rects = shown.filter(r => r.right - r.left > 0.5 && r.bottom - r.top > 0.5);
          }
          const area = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 2 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 2;
          const cells = new Map();
          const cell = 120;
          texts.forEach((t, i) => t.rects.forEach(r => {
            for (let x = Math.floor(r.left / cell); x <= Math.floor(r.right / cell); x++)
              for (let y = Math.floor(r.top / cell); y <= Math.floor(r.bottom / cell); y++) {
                const k = x + ',' + y;
                if (!cells.has(k)) cells.set(k, []);
                cells.get(k).push([i, r]);
              }
          }));
          const pairs = new Set();
          for (const list of cells.values())
            for (let p = 0; p < list.length; p++)
              for (let q = p + 1; q < list.length; q++) {
                const [i, a] = list[p], [j, b] = list[q];
                if (i === j || !area(a, b)) continue;
                const key = Math.min(i, j) + ':' + Math.max(i, j);
                if (pairs.has(key)) continue;
                pairs.add(key);
                add('overlap', texts[i].el, `text drawn over ${describe(texts[j].el)}`);
              }
          // (b) Overlaps: in-flow siblings with text, or card-like boxes.
          const cardLike = (el, s) => (s.backgroundColor !== 'rgba(0, 0, 0, 0)' && s.backgroundColor !== 'transparent') || parseFloat(s.borderTopWidth) > 0 || parseFloat(s.borderLeftWidth) > 0;
          for (const parent of [root, ...root.querySelectorAll('*')]) {
            if (parent.children.length < 2 || parent.children.length > 300 || layered(parent)) continue;
            const kids = [];
            for (const c of parent.children) {
              const s = cs(c);
              if (s.position === 'absolute' || s.position === 'fixed' || s.display === 'contents' || layered(c) || !visible(c)) continue;
              if (!norm(c.textContent) && !cardLike(c, s)) continue;
              const rects = s.display.startsWith('inline') && s.display !== 'inline-block' && s.display !== 'inline-flex' && s.display !== 'inline-grid'
                ? [...c.getClientRects()] : [c.getBoundingClientRect()];
              const real = rects.filter(r => r.width > 2 && r.height > 2);
              if (real.length) kids.push({ c, rects: real });
            }
            for (let p = 0; p < kids.length; p++)
              for (let q = p + 1; q < kids.length; q++)
                if (kids[p].rects.some(a => kids[q].rects.some(b => area(a, b))))
                  add('overlap', kids[p].c, `box overlaps its sibling ${describe(kids[q].c)}`);
          }

          // (c) Empty panels: a heading and nothing else.
          const panels = root.querySelectorAll('section, article, aside, .mud-paper, .mud-card, [class*=card], [class*=panel], [class*=tile]');
          for (const p of panels) {
            if (layered(p) || !visible(p)) continue;
            const box = p.getBoundingClientRect();
            if (box.width <= 2 || box.height <= 2) continue;
            const headings = [...p.querySelectorAll('h1, h2, h3, h4, h5, h6, [role=heading]')].filter(visible);
            if (!headings.length) continue;
            const rest = texts.filter(t => p.contains(t.node) && !headings.some(h => h.contains(t.node)));
            const media = [...p.querySelectorAll('img, svg, canvas, video, input, textarea, select, button, table, [role=img], [role=progressbar]')]
              .filter(m => visible(m) && !headings.some(h => h.contains(m)) && m.getBoundingClientRect().width > 2);
            if (!rest.length && !media.length) add('empty panel', p, 'a heading and nothing under it');
          }
          // (c) One word a line.
          for (const t of texts) {
            const words = t.text.split(' ').filter(w => w).length;
            if (words < 3) continue;
            const lines = new Set(t.rects.map(r => Math.round(r.top))).size;
            const width = t.el.getBoundingClientRect().width;
            if (lines >= 3 && (lines >= words - 1 || width < 80))
              add('squeezed text', t.el, `${words} words on ${lines} lines in ${Math.round(width)}px`);
          }

          // (d) Impossible numbers.
          const bounded = /uptime|availability|available|confidence|confident|elapsed|share|complete|of the cycle/i;
          const change = el => !!el.closest('[class*=delta], [class*=change], [class*=trend]');
          for (const t of texts) {
            const s = t.text;
            if (/\bNaN\b/.test(s)) add('impossible number', t.el, 'NaN');
            if (/Infinity|∞/.test(s)) add('impossible number', t.el, 'Infinity');
            if (/(^|[^\d.,\w])[-−]0(?:[.,]0+)?(?![.,]?\d)/.test(s)) add('impossible number', t.el, 'negative zero');
            for (const m of s.matchAll(/([+\-−]?)(\d[\d,]*(?:\.\d+)?)\s?%/g)) {
              const value = parseFloat(m[2].replace(/,/g, '')) * (m[1] === '-' || m[1] === '−' ? -1 : 1);
              if (value > 1000) add('impossible number', t.el, `${m[0]} (over 1000 %)`);
              else if (value > 100 && bounded.test(s)) add('impossible number', t.el, `${m[0]} of a bounded share`);
              else if (value < 0 && !change(t.el) && !/\b(pt|pts|vs|since|than)\b/.test(s)) add('impossible number', t.el, `${m[0]} (negative)`);
            }
          }
          return problems;
        }
        """;
}
