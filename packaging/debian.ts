/**
 * The Debian package of one architecture, made by build.ts from the bundle folder with
 * `dpkg-deb --root-owner-group` (gzip, which every dpkg reads: xz made 30 MiB of 40 but took minutes on 2 cores):
 *
 *     /opt/sssonector/                     the offline bundle as the tarball unpacks it
 *     /usr/bin/sssonector                  symlink to /opt/sssonector/sssonector
 *     /lib/systemd/system/sssonector.service, sssonector@.service
 *     /etc/logrotate.d/sssonector          configs/sssonector.logrotate (a conffile)
 *     /usr/share/doc/sssonector/           copyright, changelog, deployment guide, examples
 *     /usr/share/man/man8/sssonector.8.gz  when docs/reference/sssonector.8 exists
 *
 * The maintainer scripts: postinst creates the system user and group `sssonector` (no shell, no
 * home) and /etc/sssonector (0750 root:sssonector); prerm stops the units on removal; postrm
 * purge disables them and removes the user, /etc/sssonector and /var/log/sssonector. Nothing is
 * enabled or started: the tunnel needs its configuration file first.
 *
 * @module
 */

/** Debian's name for an architecture. */
export function debianArch(arch: "x86_64" | "aarch64"): "amd64" | "arm64" {
  return arch === "x86_64" ? "amd64" : "arm64";
}

/** The package file of a version and architecture, relative to the checkout. */
export function debPath(version: string, arch: "x86_64" | "aarch64"): string {
  return `dist/sssonector_${version}_${debianArch(arch)}.deb`;
}

/** DEBIAN/control. */
export function controlFile(
  fields: { version: string; arch: "x86_64" | "aarch64"; installedKiB: number },
): string {
  return `Package: sssonector
Version: ${fields.version}
Architecture: ${debianArch(fields.arch)}
Maintainer: SSSonector maintainers <sssonector@example.org>
Installed-Size: ${fields.installedKiB}
Depends: libc6 (>= 2.31), passwd
Recommends: logrotate
Section: net
Priority: optional
Description: mutually authenticated TLS tunnel between private networks
 SSSonector joins private networks on hosts across the internet through a
 TLS tunnel over TCP with a TUN device on each host, in server or client
 mode from one YAML file. This package holds the offline bundle (the program
 with its pinned Deno runtime), the systemd units and the logrotate file,
 and creates the system user sssonector the tunnel runs as.
`;
}

const USER_COMMENT = "SSSonector tunnel";

/** DEBIAN/postinst: the run user and group, and the configuration folder. */
export const POSTINST = `#!/bin/sh
# sssonector postinst: the dedicated run user (a system user of its own: nobody is shared with
# other daemons, which could signal the tunnel or prlimit it) and /etc/sssonector for its files.
set -e
if [ "$1" = configure ]; then
  if ! getent group sssonector >/dev/null; then
    groupadd --system sssonector
  fi
  if ! getent passwd sssonector >/dev/null; then
    useradd --system --gid sssonector --no-create-home --home-dir /nonexistent \\
      --shell /usr/sbin/nologin --comment "${USER_COMMENT}" sssonector
  fi
  if [ ! -d /etc/sssonector ]; then
    install -d -o root -g sssonector -m 0750 /etc/sssonector
  fi
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null || true
  fi
fi
exit 0
`;

/** DEBIAN/prerm: stop the tunnels before their files go. */
export const PRERM = `#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
  deb-systemd-invoke stop sssonector.service 'sssonector@*.service' >/dev/null 2>&1 || true
fi
exit 0
`;

/** DEBIAN/postrm: purge removes what postinst and the units made. */
export const POSTRM = `#!/bin/sh
set -e
if [ "$1" = purge ]; then
  rm -f /etc/systemd/system/*.wants/sssonector.service \\
    /etc/systemd/system/*.wants/sssonector@*.service
  rm -rf /etc/sssonector /var/log/sssonector
  if getent passwd sssonector >/dev/null; then
    userdel sssonector >/dev/null 2>&1 || true
  fi
  if getent group sssonector >/dev/null; then
    groupdel sssonector >/dev/null 2>&1 || true
  fi
fi
if [ "$1" = remove ] || [ "$1" = purge ]; then
  # What dpkg did not install: Deno's caches, written when root ran the program outside the unit.
  rm -rf /opt/sssonector
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || true
  fi
fi
exit 0
`;

/** usr/share/doc/sssonector/copyright (machine-readable format). */
export const COPYRIGHT = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: sssonector

Files: *
Copyright: 2026 SSSonector authors
License: proprietary
 See the project's repository for the terms.
`;

/** usr/share/doc/sssonector/changelog (a native package's; gzipped into the package). */
export function changelog(version: string, date: Date): string {
  return `sssonector (${version}) unstable; urgency=medium

  * Package built from the SSSonector repository by build.ts.

 -- SSSonector maintainers <sssonector@example.org>  ${date.toUTCString().replace("GMT", "+0000")}
`;
}

/** What {@linkcode buildDeb} packs. */
export interface DebInputs {
  /** The checkout's root, with a trailing slash. */
  readonly root: string;
  /** The bundle folder (lib/, sssonector, BUILD) as the tarball unpacks it. */
  readonly bundleFolder: string;
  /** Where to lay the package tree out (removed first). */
  readonly stage: string;
  readonly version: string;
  readonly arch: "x86_64" | "aarch64";
}

/** `gzip -9n`: the most compression, no name or time stamp (what lintian asks for). */
async function gzipFile(from: string, to: string): Promise<void> {
  const out = await new Deno.Command("gzip", { args: ["-9nc", from], stdout: "piped" }).output();
  if (!out.success) throw new Error(`gzip -9n ${from} failed`);
  await Deno.writeFile(to, out.stdout, { mode: 0o644 });
}

/** Lintian tags that do not apply to a self-contained bundle under /opt, and why. */
export const LINTIAN_OVERRIDES =
  `# The offline bundle lives in /opt/sssonector as the tarball unpacks it (docs/guide/deployment.md).
sssonector: dir-or-file-in-opt *
# lib/deno is Deno's own release binary (npm: @deno/linux-*-glibc), shipped as published.
sssonector: embedded-library * [opt/sssonector/lib/deno]
sssonector: hardening-no-relro [opt/sssonector/lib/deno]
`;

/** The strip command for a target's ELF files, when installed. */
async function stripCommand(arch: "x86_64" | "aarch64"): Promise<string | undefined> {
  const candidates = arch === Deno.build.arch ? ["strip"] : [];
  candidates.push(`${arch === "x86_64" ? "x86_64" : "aarch64"}-linux-gnu-strip`);
  for (const name of candidates) {
    const found = await new Deno.Command("sh", {
      args: ["-c", `command -v ${name}`],
      stdout: "null",
    }).output();
    if (found.success) return name;
  }
  return undefined;
}

async function copyTree(from: string, to: string): Promise<void> {
  const status = await new Deno.Command("cp", { args: ["-a", from, to] }).spawn().status;
  if (!status.success) throw new Error(`cp -a ${from} ${to} failed`);
}

async function installFile(from: string, to: string, mode: number): Promise<void> {
  await Deno.mkdir(to.slice(0, to.lastIndexOf("/")), { recursive: true });
  await Deno.copyFile(from, to);
  await Deno.chmod(to, mode);
}

async function treeKiB(path: string): Promise<number> {
  const out = await new Deno.Command("du", { args: ["-sk", "--apparent-size", path] }).output();
  return Number(new TextDecoder().decode(out.stdout).split("\t")[0]);
}

/**
 * Lays the package tree out in `stage` and runs `dpkg-deb --build --root-owner-group` into
 * dist/; returns the package's path relative to the checkout.
 */
export async function buildDeb(inputs: DebInputs): Promise<string> {
  const { root, stage } = inputs;
  await Deno.remove(stage, { recursive: true }).catch(() => {});
  await Deno.mkdir(`${stage}/opt`, { recursive: true });
  await copyTree(inputs.bundleFolder, `${stage}/opt/sssonector`);
  // Deno's cache folder starts empty (the build's --version check filled the bundle's).
  const cache = `${stage}/opt/sssonector/lib/deno-dir`;
  await Deno.remove(cache, { recursive: true });
  await Deno.mkdir(cache);
  const strip = await stripCommand(inputs.arch);
  if (strip !== undefined) {
    const shim = `${stage}/opt/sssonector/lib/libsssonector_tun.so`;
    const stripped = await new Deno.Command(strip, { args: ["--strip-unneeded", shim] }).output();
    if (!stripped.success) throw new Error(`${strip} --strip-unneeded ${shim} failed`);
  }
  await Deno.mkdir(`${stage}/usr/bin`, { recursive: true });
  await Deno.symlink("/opt/sssonector/sssonector", `${stage}/usr/bin/sssonector`);
  for (const unit of ["sssonector.service", "sssonector@.service"]) {
    await installFile(`${root}configs/${unit}`, `${stage}/lib/systemd/system/${unit}`, 0o644);
  }
  await installFile(
    `${root}configs/sssonector.logrotate`,
    `${stage}/etc/logrotate.d/sssonector`,
    0o644,
  );
  const doc = `${stage}/usr/share/doc/sssonector`;
  await Deno.mkdir(`${doc}/examples`, { recursive: true });
  await Deno.writeTextFile(`${doc}/copyright`, COPYRIGHT, { mode: 0o644 });
  await Deno.writeTextFile(`${stage}/changelog.tmp`, changelog(inputs.version, new Date()));
  await gzipFile(`${stage}/changelog.tmp`, `${doc}/changelog.gz`);
  await Deno.remove(`${stage}/changelog.tmp`);
  await Deno.mkdir(`${stage}/usr/share/lintian/overrides`, { recursive: true });
  await Deno.writeTextFile(`${stage}/usr/share/lintian/overrides/sssonector`, LINTIAN_OVERRIDES, {
    mode: 0o644,
  });
  await installFile(`${root}docs/guide/deployment.md`, `${doc}/deployment.md`, 0o644);
  for (
    const example of ["server.yaml", "client.yaml", "sssonector.cron", "sssonector-cron.logrotate"]
  ) {
    await installFile(`${root}configs/${example}`, `${doc}/examples/${example}`, 0o644);
  }
  const manPage = `${root}docs/reference/sssonector.8`;
  if (await Deno.stat(manPage).then(() => true, () => false)) {
    await Deno.mkdir(`${stage}/usr/share/man/man8`, { recursive: true });
    await gzipFile(manPage, `${stage}/usr/share/man/man8/sssonector.8.gz`);
  }
  const installedKiB = await treeKiB(stage);
  await Deno.mkdir(`${stage}/DEBIAN`);
  await Deno.writeTextFile(
    `${stage}/DEBIAN/control`,
    controlFile({ version: inputs.version, arch: inputs.arch, installedKiB }),
  );
  await Deno.writeTextFile(`${stage}/DEBIAN/conffiles`, "/etc/logrotate.d/sssonector\n");
  for (const [name, text] of [["postinst", POSTINST], ["prerm", PRERM], ["postrm", POSTRM]]) {
    await Deno.writeTextFile(`${stage}/DEBIAN/${name}`, text!, { mode: 0o755 });
    await Deno.chmod(`${stage}/DEBIAN/${name}`, 0o755);
  }
  const output = debPath(inputs.version, inputs.arch);
  await Deno.mkdir(`${root}dist`, { recursive: true });
  const built = await new Deno.Command("dpkg-deb", {
    args: ["--build", "--root-owner-group", "-Zgzip", stage, `${root}${output}`],
    stdout: "null",
  }).spawn().status;
  if (!built.success) throw new Error(`dpkg-deb --build exited with code ${built.code}`);
  return output;
}
