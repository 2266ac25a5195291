import { escapeMarkdown } from '../../src/modules/progress/report-render';

describe('Markdown of catalogue text', () => {
  it.each([
    ['[bấm vào đây](https://evil.example/x)', '\\[bấm vào đây\\]\\(https\\://evil.example/x\\)'],
    ['![](https://tracker.example/pixel.png)', '\\!\\[\\]\\(https\\://tracker.example/pixel.png\\)'],
    ['<img src=x onerror=alert(1)>', '\\<img src=x onerror=alert\\(1\\)\\>'],
    ['<script>alert(1)</script>', '\\<script\\>alert\\(1\\)\\</script\\>'],
    ['https://evil.example', 'https\\://evil.example'],
    ['www.evil.example', 'www\\.evil.example'],
    ['ai@evil.example', 'ai\\@evil.example'],
    ['a | b', 'a \\| b'],
    ['**đậm** _nghiêng_ `mã` ~~gạch~~', '\\*\\*đậm\\*\\* \\_nghiêng\\_ \\`mã\\` \\~\\~gạch\\~\\~'],
    ['# heading\n- item\r\n> quote', '\\# heading - item \\> quote'],
    ['&lt;b&gt;', '\\&lt;b\\&gt;'],
    ['[^1]', '\\[\\^1\\]'],
    ['a\\b', 'a\\\\b'],
    ['SO_GTVT _x_ y_ _z', 'SO_GTVT \\_x\\_ y\\_ \\_z'],
    ['Sở Y tế — 2024-03-31 (T01.02)', 'Sở Y tế — 2024-03-31 \\(T01.02\\)'],
  ])('escapes %j', (text, escaped) => {
    expect(escapeMarkdown(text)).toBe(escaped);
  });
});
