// The dashboard's vendored libraries (infra/dashboard/vendor/) are exactly the files of the
// packages locked in infra/dashboard/package-lock.json: run after `npm ci` there (browser_install
// does it). A hand edit, a stale copy or a forgotten ./vendor.sh after an update fails here.
'use strict';

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const DASHBOARD = path.join(__dirname, '..', '..', 'infra', 'dashboard');
const VENDOR = path.join(DASHBOARD, 'vendor');
const MODULES = path.join(DASHBOARD, 'node_modules');

const listed = fs.readFileSync(path.join(VENDOR, 'FILES'), 'utf8')
  .split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
const packageOf = (file) => (file.startsWith('@') ? file.split('/').slice(0, 2).join('/') : file.split('/')[0]);

describe('vendored dashboard libraries', () => {
  it('are installed at the locked versions (npm ci in infra/dashboard)', () => {
    const lock = JSON.parse(fs.readFileSync(path.join(DASHBOARD, 'package-lock.json'), 'utf8'));
    const manifest = JSON.parse(fs.readFileSync(path.join(DASHBOARD, 'package.json'), 'utf8'));
    for (const name of Object.keys(manifest.dependencies)) {
      const locked = lock.packages[`node_modules/${name}`];
      assert.ok(locked, `${name} is not in package-lock.json`);
      assert.equal(locked.version, manifest.dependencies[name], `${name}: package.json pins an exact version`);
      const installed = JSON.parse(fs.readFileSync(path.join(MODULES, name, 'package.json'), 'utf8'));
      assert.equal(installed.version, locked.version, `${name}: run npm ci in infra/dashboard`);
    }
  });

  for (const file of listed) {
    it(`vendor/${path.basename(file)} is ${file} of the locked package`, () => {
      const vendored = fs.readFileSync(path.join(VENDOR, path.basename(file)));
      const original = fs.readFileSync(path.join(MODULES, file));
      assert.ok(vendored.equals(original), `vendor/${path.basename(file)} differs from node_modules/${file}: run ./vendor.sh`);
      const lock = JSON.parse(fs.readFileSync(path.join(DASHBOARD, 'package-lock.json'), 'utf8'));
      assert.ok(lock.packages[`node_modules/${packageOf(file)}`], `${packageOf(file)} is locked`);
    });
  }

  it('holds nothing but the listed files', () => {
    const present = fs.readdirSync(VENDOR).filter((name) => name !== 'FILES').sort();
    assert.deepEqual(present, listed.map((file) => path.basename(file)).sort());
  });
});
