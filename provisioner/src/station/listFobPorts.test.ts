import { describe, expect, it } from 'vitest';
import { listFobPorts } from './listFobPorts.js';

describe('listFobPorts', () => {
  it("keeps only the ports with the station's USB ids, whatever their case", async () => {
    const list = async () => [
      { path: '/dev/ttyACM1', vendorId: '1209', productId: 'F0B1' },
      { path: '/dev/ttyACM0', vendorId: '1209', productId: 'f0b1' },
      { path: '/dev/ttyUSB0', vendorId: '0403', productId: '6001' },
      { path: '/dev/ttyS0' },
    ];
    expect(await listFobPorts([{ vendorId: '1209', productId: 'f0b1' }], list)).toEqual(['/dev/ttyACM0', '/dev/ttyACM1']);
    expect(await listFobPorts([{ vendorId: '0403', productId: '6001' }], list)).toEqual(['/dev/ttyUSB0']);
  });

  it('says why when the port list cannot be read', async () => {
    const list = async () => { throw new Error('spawn udevadm ENOENT'); };
    await expect(listFobPorts([{ vendorId: '1209', productId: 'f0b1' }], list)).rejects.toMatchObject({ code: 'NO_PORTS', message: expect.stringMatching(/cannot list the serial ports.*udevadm/) });
  });
});
