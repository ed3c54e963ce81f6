/**
 * The Debian package build.ts makes, looked at from outside: its metadata, where each file goes
 * with which owner and mode, the maintainer scripts, and lintian. Installing, running and purging
 * it under a booted systemd is tests/e2e/systemd_unit_test.ts.
 */

import assert from "node:assert/strict";
import { run, runOk } from "../../tools/lab/netns_lab.ts";
import { buildDebOnce } from "../lib/deb_build.ts";

const ignore = Deno.uid() !== 0;

Deno.test({
  name: "the .deb: metadata, files under /opt and /usr/bin with root owners, scripts, lintian",
  ignore,
  async fn() {
    const deb = await buildDebOnce();
    const size = (await Deno.stat(deb)).size;
    console.log(`${deb}: ${(size / 2 ** 20).toFixed(1)} MiB`);
    const fields = await runOk("dpkg-deb", ["-f", deb]);
    assert.match(fields, /^Package: sssonector$/m);
    assert.match(fields, /^Architecture: (amd64|arm64)$/m);
    assert.match(fields, /^Depends: .*passwd/m);
    const listing = await runOk("dpkg-deb", ["-c", deb]);
    const entry = (path: string) =>
      listing.split("\n").find((line) =>
        line.endsWith(` .${path}`) || line.includes(` .${path} -> `)
      );
    for (
      const [path, mode] of [
        ["/opt/sssonector/sssonector", "-rwxr-xr-x"],
        ["/opt/sssonector/lib/deno", "-rwxr-xr-x"],
        ["/opt/sssonector/lib/sssonector.js", "-rw-r--r--"],
        ["/opt/sssonector/lib/libsssonector_tun.so", "-rw-r--r--"],
        ["/lib/systemd/system/sssonector.service", "-rw-r--r--"],
        ["/lib/systemd/system/sssonector@.service", "-rw-r--r--"],
        ["/etc/logrotate.d/sssonector", "-rw-r--r--"],
        ["/usr/share/doc/sssonector/copyright", "-rw-r--r--"],
      ] as const
    ) {
      const line = entry(path);
      assert.ok(line, `${path} is not in the package:\n${listing}`);
      assert.ok(line.startsWith(`${mode} root/root `), line);
    }
    assert.match(entry("/usr/bin/sssonector") ?? "", /-> \/opt\/sssonector\/sssonector$/);
    assert.match(entry("/opt/sssonector/lib/bin/sssonector") ?? "", /-> \.\.\/deno$/);
    assert.doesNotMatch(listing, /deno-dir\/./, "Deno's cache folder ships empty");
    const dir = await Deno.makeTempDir({ prefix: "sss-debctl-" });
    try {
      await runOk("dpkg-deb", ["-e", deb, dir]);
      assert.equal(await Deno.readTextFile(`${dir}/conffiles`), "/etc/logrotate.d/sssonector\n");
      const postinst = await Deno.readTextFile(`${dir}/postinst`);
      assert.match(postinst, /useradd --system --gid sssonector --no-create-home/);
      assert.match(postinst, /install -d -o root -g sssonector -m 0750 \/etc\/sssonector/);
      assert.match(await Deno.readTextFile(`${dir}/postrm`), /userdel sssonector/);
      for (const script of ["postinst", "prerm", "postrm"]) {
        assert.equal(await runOk("sh", ["-n", `${dir}/${script}`]), "", script);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    // Errors and warnings, but the man page another part of the build adds when it exists.
    const lintian = await run("lintian", ["--tag-display-limit", "0", deb]);
    const tags = lintian.stdout.split("\n").filter((line) => /^[EW]: /.test(line))
      .filter((line) => !/no-manual-page/.test(line));
    assert.deepEqual(tags, [], lintian.stdout);
  },
});
