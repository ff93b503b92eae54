#!/usr/bin/env python3
"""Writes the seeds of fuzz_model, fuzz_feel, fuzz_json and fuzz_timer
from the test data of the tree (docs/reliability.md). fuzz_snapshot's
seeds come from fuzz_snapshot_seeds and tests/golden instead.

    tests/fuzz/make_seeds.py [BUILD_DIR]   (from the top of the source tree)

model: every model of tests/scenarios, tests/models and tests/parse, and
each scenario model again followed by the outcome separator and a few
outcome byte strings; with BUILD_DIR, also the models that the replay
test generates for the seeds in REPLAY_SEEDS (BUILD_DIR/tests/test_replay
prints them), chosen so that between them they hold every kind of event
the generator makes. feel: every expression of tests/feel/*.txt (a JUEL
case without its `${ }`) and of tests/test_feel.c, and the `=`
attributes (mappings, scripts, job types and retries, correlation keys,
codes, names), conditions, timer expressions and JUEL scripts of the
scenario models (without their `=` or `${ }`). json: the documents
listed below. timer: every string of
tests/test_timer.c that is not a message, the timer definitions and
retry cycles of the scenario models, and those listed below. Seeds are
named by the SHA-1 of their content, as libFuzzer names what it finds;
existing files are kept."""
import ast
import hashlib
import html
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
FUZZ = os.path.join(ROOT, 'tests', 'fuzz')
SEP = b'\0baton-outcomes\0'

# Outcome bytes: all complete; complete with saga results failing; fail
# with retries then complete; throw errors; defer and cancel.
OUTCOMES = [b'\x00' * 8, b'\x40\xc0\x40\x40\x00\x00', b'\x05\x01\x00\x00',
            b'\x02\x06\x0a\x0e\x02', b'\x03\x03\xff\x03',
            b'\x01\x02\x03\x00\xff\x41\xfe\x02\xc2\x03abc']

JSON = [
    '{}', '{"x":1}', '{"x":2,"ok":true,"s":"a"}',
    '{"x":1.5e3,"o":{"a":{"b":[1,2,{"c":null}]}},"l":[],"s":"\\u00e9\\u20ac"}',
    '{"order":{"id":"A-1","amount":250}}',
    '{"bookHotelResult":{"success":true},"bookCarResult":{"success":false}}',
    '{"big":9223372036854775807,"small":-9223372036854775808,'
    '"huge":1e308,"tiny":-1e-308,"neg0":-0.0}',
    '{"x":18446744073709551616}', '{"x":1e400}',
    '{"s":"line\\nbreak\\ttab\\"quote\\\\\\/"}',
    '{"\\ud83d\\ude00":"surrogates","bad":"\\ud800"}',
    '{"nul":"a\\u0000b"}', '{"a\\u0000b":1}',
    '{"x":1,"x":2}', '{"":1}', ' \t\r\n{ "x" : [ 1 , 2 ] } \n',
    '[1,2]', '1', '"s"', 'null', '', '{', '{"x":}', '{"x":1,}', "{'x':1}",
    '{"x":01}', '{"x":NaN}', '{"x":.5}', '{"x":1}garbage', '{"x":1}{}',
    '{"a":' * 64 + '1' + '}' * 64,
    '{"a":' * 65 + '1' + '}' * 65,
    '{"l":' + '[' * 70 + ']' * 70 + '}',
    '{"o":{"a":{"b":"deep"}},"ok":false,"s":3,"x":"1"}',
    '{"result":{"ok":true},"out":{"value":1}}',
]

# Expressions worth having beyond the tests' own.
FEEL_EXTRA = [
    'x > 1 and not(ok = false)', 'o.a.b + 1', 's + "!"',
    '(((((((((x)))))))))', '- - - 1', '1 / 0', '"a" + 1', 'null = null',
    'x != null or y < 2.5', 'not(not(not(b)))', 'a.b.c.d.e.f.g.h',
    '1 + 2 * 3 - 4 / 5', '"unterminated', 'x >', '', ' ',
    'if x then 1 else 2', 'for i in l return i', 'sum([1,2])',
    'x between 1 and 2', 'x instance of number', '"\\u00e9" = "é"',
    '9223372036854775807 + 1', '1e308 * 10', 'approved && score > 600',
    '!approved || score le 600', "clarified == 'yes'", 'score div 2 ge 3',
]


# Timer definitions worth having beyond the tests' own: each form and
# the edges of each field.
TIMER_EXTRA = [
    'PT5M', 'PT2H', 'P1D', 'P1Y2M3W4DT5H6M7.5S', 'PT0S', 'P0D', 'PT0.001S',
    'P9999Y', 'PT315537897600S', 'R2/PT1M', 'R3/PT5M', 'R/PT1H', 'R/P1D',
    'R0/PT1M', 'R1/PT1S', 'R2/2026-01-01T00:05:00Z/PT1M',
    'R/2026-03-29T01:30:00[Europe/Berlin]/PT30M',
    'R5/2026-10-25T02:30:00+02:00[Europe/Berlin]/P1D',
    '2026-01-01T00:00:00Z', '2026-01-01T01:05:00+01:00',
    '2026-02-29T00:00:00Z', '2028-02-29T23:59:59.999Z',
    '0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z',
    '0001-01-01T00:00:00+14:00', '9999-12-31T23:59:59-14:00',
    '2026-03-29T02:30:00[Europe/Berlin]', '2026-01-01T10:00:00',
    '0 0/5 * * * ?', '0 0 9-17 * * MON-FRI', '0 0 0 L * ?', '0 0 0 LW * ?',
    '0 0 0 ? * 6#3', '0 0 0 ? * 5L', '0 0 0 29 2 ?', '0 0 0 31 2 ?',
    '@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight',
    '@hourly', '=tw', '${wait}', ' PT1M ', 'P', 'PT', 'R', 'R/', '*',
]

# Replay seeds whose models hold, between them, every kind of event the
# generator makes (tests/replay_gen.c).
REPLAY_SEEDS = [
    '0x0646e68ce268f967', '0x1c25c58fa5f92a27', '0xf7d325625013cd1a',
    '0x55504f3995d9f1e4', '0x42caf62b26b15a08', '0x0a589fbf55d6e835',
    '0x0e37d089430c800f', '0x3e56e4f16aae453e', '0x7c60a61fc2f13fbb',
    '0x270c6ba600367b58', '0xbdd04af0e737f07c',
    '0x49d8ee6ba2a7b283',  # a standard loop whose boundary cannot open
]


def write(dir_name, data):
    d = os.path.join(FUZZ, dir_name, 'seeds')
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, hashlib.sha1(data).hexdigest())
    if not os.path.exists(path):
        with open(path, 'wb') as f:
            f.write(data)


def files(top, name_re):
    for base, _, names in sorted(os.walk(os.path.join(ROOT, top))):
        for n in sorted(names):
            if re.fullmatch(name_re, n):
                yield os.path.join(base, n)


def read(path):
    with open(path, 'rb') as f:
        return f.read()


def c_strings(text, macro):
    """The first argument of every MACRO("...", ...) call, decoded."""
    for m in re.finditer(r'\b' + macro + r'\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)',
                         text):
        parts = re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))
        s = ''.join(parts)
        try:
            yield ast.literal_eval('"' + s + '"').encode('utf-8',
                                                         'surrogatepass')
        except (ValueError, SyntaxError, UnicodeEncodeError):
            pass


def main():
    scenario_models = list(files('tests/scenarios', r'.*\.bpmn')) + \
        list(files('tests/models', r'.*\.bpmn'))
    for p in scenario_models + list(files('tests/parse', r'.*\.bpmn')):
        write('model', read(p))
    for p in scenario_models:
        for o in OUTCOMES:
            write('model', read(p) + SEP + o)

    feel = set()
    test_feel = read(os.path.join(ROOT, 'tests', 'test_feel.c')).decode()
    for macro in ('FEEL', 'FEEL_ERR', 'JUEL', 'JUEL_ERR'):
        feel.update(c_strings(test_feel, macro))
    for p in scenario_models:
        text = read(p).decode('utf-8', 'replace')
        # Every attribute written as an expression: mapping sources,
        # scripts, job types and retries, correlation keys, codes, names.
        for m in re.finditer(r'\b[\w:]+="=([^"]*)"', text):
            feel.add(html.unescape(m.group(1)).encode())
        for m in re.finditer(r'<(?:\w+:)?script>\s*[$#]\{(.*?)\}\s*<', text,
                             re.S):
            feel.add(html.unescape(m.group(1)).encode())
        for m in re.finditer(r'<(\w+:)?(conditionExpression|condition|'
                             r'timeDuration|timeDate|timeCycle)[\s>][^>]*>'
                             r'([^<]*)<', text):
            e = html.unescape(m.group(3)).strip()
            # A timer's text is an expression only with its prefix.
            if m.group(2).startswith('time') and \
                    not re.match(r'^=|^[$#]\{', e):
                continue
            e = re.sub(r'^=|^[$#]\{(.*)\}$', r'\1', e, flags=re.S)
            feel.add(e.encode())
    feel.update(e.encode() for e in FEEL_EXTRA)
    # every case of tests/feel (a JUEL case without its ${ })
    for p in files('tests/feel', r'.*\.txt'):
        for line in read(p).decode().split('\n'):
            if ' ==> ' in line and not line.startswith('#'):
                e = line.rsplit(' ==> ', 1)[0]
                e = re.sub(r'^[$#]\{(.*)\}$', r'\1', e, flags=re.S)
                feel.add(e.encode())
    for e in sorted(feel):
        write('feel', e)
    for j in JSON:
        write('json', j.encode('utf-8', 'surrogatepass'))

    timers = set(t.encode() for t in TIMER_EXTRA)
    test_timer = read(os.path.join(ROOT, 'tests', 'test_timer.c')).decode()
    for m in re.finditer(r'"((?:[^"\\\n]|\\.)*)"', test_timer):
        try:
            t = ast.literal_eval('"' + m.group(1) + '"')
        except (ValueError, SyntaxError):
            continue
        # Not the expected messages nor the test's own formats.
        if ' at character' in t or '%' in t or t.startswith("'"):
            continue
        timers.add(t.encode('utf-8', 'surrogatepass'))
    for p in scenario_models:
        text = read(p).decode('utf-8', 'replace')
        for m in re.finditer(r'<(?:\w+:)?(?:timeDuration|timeDate|timeCycle|'
                             r'failedJobRetryTimeCycle)[^>]*>([^<]*)<', text):
            timers.add(html.unescape(m.group(1)).encode())
    for t in sorted(timers):
        write('timer', t)

    if len(sys.argv) > 1:
        replay = os.path.join(sys.argv[1], 'tests', 'test_replay')
        for seed in REPLAY_SEEDS:
            env = dict(os.environ, BATON_REPLAY_SEED=seed,
                       BATON_REPLAY_DUMP='1')
            out = subprocess.run([replay], env=env, capture_output=True,
                                 check=False).stdout.decode()
            m = re.search(r'<\?xml.*?</definitions>\n', out, re.S)
            if not m:
                print('no model for replay seed ' + seed, file=sys.stderr)
                return 1
            write('model', m.group(0).encode())
    return 0


if __name__ == '__main__':
    sys.exit(main())
