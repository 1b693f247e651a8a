// Writes tests/train/data/gpt2_cases.json: texts and the ids the npm package gpt-3-encoder's own
// JavaScript encoder gives them (GPT-2's byte-level BPE), for gpt2_bpe_test.cpp.
//   NODE_PATH=data/npm/node_modules node scripts/generate/gpt2_cases.js > tests/train/data/gpt2_cases.json
const {encode} = require('gpt-3-encoder');
const texts = [
  '',
  'Hello world',
  'Hello, world! How are you today?',
  'I\'m sure they\'ll say we\'ve done what you\'d\'ve wanted, and it\'s John\'s.',
  'DON\'T SHOUT, I\'M HERE. \'quoted\' words and O\'Neill.',
  'Numbers: 0 7 42 3.14159 1,000,000 2026-12-07 0x1F 1e-4 ½ ² Ⅻ ٣ १२',
  'a  b   c    d\t\te\t \tf\n\ng \n h\r\n\r\ni   ',
  '     leading spaces and trailing spaces      ',
  '\n\n\n\t\t\t   \n',
  'Café naïve résumé façade Ångström Straße ŒUVRE',
  'Русский текст, Ελληνικά, עברית, العربية, हिन्दी, 中文字符, 日本語のテキスト, 한국어',
  'emoji 👍 👍🏽 🎉🎉 👨‍👩‍👧 🇫🇷 ❤️ and ☃',
  'int main(int argc, char** argv) {\n  for (int i = 0; i < argc; ++i) std::printf("%s\\n", argv[i]);\n  return 0;\n}\n',
  'def f(x: int) -> int:\n    """Doc."""\n    return x ** 2 + 1  # comment\n\nprint([f(i) for i in range(10)])\n',
  '<|endoftext|> is text here, not a special token',
  'URLs: https://example.com/a/b?c=d&e=f#g and e-mail someone@example.org',
  'Tabs\tin\tthe\tmiddle and\u00a0no-break\u2003em\u3000ideographic spaces',
  'Symbols: @#$%^&*()_+-=[]{}|;:\'",.<>/?`~ §±×÷ ‰ — … “curly” ‘quotes’',
  'supercalifragilisticexpialidocious antidisestablishmentarianism pneumonoultramicroscopic',
  'The Brown Corpus of Standard American English was compiled in the 1960s by Henry Kučera and W. Nelson Francis.',
];
const generator = 'scripts/generate/gpt2_cases.js with gpt-3-encoder ' + require('gpt-3-encoder/package.json').version;
const cases = texts.map(text => '  ' + JSON.stringify({text, ids: encode(text)}));
console.log(`{\n "generator": ${JSON.stringify(generator)},\n "cases": [\n${cases.join(',\n')}\n ]\n}`);
