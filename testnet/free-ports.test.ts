import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ephemeralPortRange, freePortRange, portFree } from './free-ports.ts'

test('the ephemeral range is read from the kernel, with the usual default when it cannot be', () => {
  assert.deepEqual(ephemeralPortRange(() => '32768\t60999\n'), { low: 32768, high: 60999 })
  assert.deepEqual(ephemeralPortRange(() => '1024 65000'), { low: 1024, high: 65000 })
  assert.deepEqual(ephemeralPortRange(() => { throw new Error('ENOENT') }), { low: 32768, high: 60999 })
  assert.deepEqual(ephemeralPortRange(() => 'garbage'), { low: 32768, high: 60999 })
})

test('port ranges are picked outside the ephemeral ports, and are free', async () => {
  const ephemeral = { low: 32768, high: 60999 }
  for (const r of [0, 0.5, 0.999999]) {
    const base = await freePortRange(20, () => r, ephemeral)
    assert.ok(base >= 10_000 && base + 20 <= ephemeral.low, `base ${base} below the ephemeral range`)
  }
  // Ephemeral ports starting low: the range goes above them.
  const high = await freePortRange(20, () => 0.5, { low: 10_005, high: 60_000 })
  assert.ok(high > 60_000 && high + 20 <= 65_535, `base ${high} above the ephemeral range`)
  assert.ok(await portFree(await freePortRange(2)))
  await assert.rejects(freePortRange(20, () => 0.5, { low: 10_000, high: 65_530 }), /no room/)
})
