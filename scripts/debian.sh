# Sourced by the set-up scripts. The machine's own package sources, so that set-up works behind a company mirror:
# no mirror or registry host is written into polyarch's scripts.

# debian_mirror: the URI of the configured Debian archive that serves this release's main component (the first
# one in /etc/apt/sources.list.d/*.sources, deb822, or /etc/apt/sources.list); nothing and status 1 if there is none
debian_mirror() {
  local codename; codename="$(. /etc/os-release 2>/dev/null; echo "${VERSION_CODENAME:-bookworm}")"
  python3 - "$codename" <<'PY'
import glob, re, sys
code = sys.argv[1]
for f in sorted(glob.glob('/etc/apt/sources.list.d/*.sources')):
    for stanza in re.split(r'\n\s*\n', open(f).read()):
        fields = {}
        for line in stanza.splitlines():
            if line.startswith('#') or ':' not in line: continue
            k, v = line.split(':', 1); fields[k.strip().lower()] = v.split()
        if ('deb' in fields.get('types', []) and code in fields.get('suites', []) and 'main' in fields.get('components', [])
                and fields.get('enabled', ['yes'])[0].lower() != 'no' and fields.get('uris')):
            print(fields['uris'][0].rstrip('/')); sys.exit(0)
for f in ['/etc/apt/sources.list'] + sorted(glob.glob('/etc/apt/sources.list.d/*.list')):
    try: lines = open(f).read().splitlines()
    except OSError: continue
    for line in lines:
        m = re.match(r'\s*deb\s+(\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s+(.*)', line)
        if m and m.group(3) == code and 'main' in m.group(4).split():
            print(m.group(2).rstrip('/')); sys.exit(0)
sys.exit(1)
PY
}
