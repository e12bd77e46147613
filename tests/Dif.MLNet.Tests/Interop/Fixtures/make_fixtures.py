"""Writes the genuine-PyTorch fixtures of Dif's checkpoint-import tests.

Run once with a real PyTorch (Debian's python3-torch 1.13 made the committed files):
    /usr/bin/python3 make_fixtures.py
The tests do not need Python; they read the files this wrote and check the values below, which are
chosen so that C# can recompute them without PyTorch (arange-based tensors).
"""
import os
import torch

here = os.path.dirname(os.path.abspath(__file__))


def path(name):
    return os.path.join(here, name)


# 1. A published-style fingerprint checkpoint (trainer_dif.TrainerMultiple.save_stats): the fingerprint
#    is a view out[0:1] of a batch output, so its storage is larger than the tensor; the logs are lists
#    of Python floats.
batch = (torch.arange(2 * 3 * 16 * 16, dtype=torch.float32) / 1000.0 - 0.5).reshape(2, 3, 16, 16)
fingerprint = batch[0:1].detach()
train_real = [0.001 * i for i in range(30)]          # last 20: 0.010 .. 0.029, mean 0.0195
train_fake = [0.002 * i + 0.05 for i in range(25)]    # last 20: 0.060 .. 0.098, mean 0.079
torch.save({'Fingerprint': fingerprint, 'Train Real': train_real, 'Train Fake': train_fake, 'Loss': [1.0, 0.5]},
           path('torch113-fingerprint.pt'))

# 2. The same saved with pickle protocol 4 (FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL).
torch.save({'Fingerprint': fingerprint, 'Train Real': train_real, 'Train Fake': train_fake},
           path('torch113-fingerprint-protocol4.pt'), pickle_protocol=4)

# 3. A small module state dict: OrderedDict with _metadata (BUILD), a LongStorage num_batches_tracked,
#    a transposed (non-contiguous) float64 tensor and a float16 one.
net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, bias=False), torch.nn.BatchNorm2d(4))
with torch.no_grad():
    net[0].weight.copy_(torch.arange(4 * 3 * 3 * 3, dtype=torch.float32).reshape(4, 3, 3, 3) / 100.0)
    net[1].running_mean.copy_(torch.tensor([1.0, 2.0, 3.0, 4.0]))
net[1].num_batches_tracked.fill_(7)
state = net.state_dict()
state['transposed'] = torch.arange(6, dtype=torch.float64).reshape(2, 3).t()
state['half'] = torch.tensor([0.5, -2.0, 65504.0], dtype=torch.float16)
torch.save(state, path('torch113-state-dict.pt'))


# 4. Logs of numpy scalars (numpy.core.multiarray.scalar with a numpy.dtype and BUILD) and of a 1-D tensor,
#    as a variant of the trainer that logged corr.mean().cpu().numpy() would write.
import numpy as np
torch.save({'Fingerprint': fingerprint, 'Train Real': [np.float64(x) for x in train_real],
            'Train Fake': torch.tensor(train_fake, dtype=torch.float64)},
           path('torch113-fingerprint-numpy-logs.pt'))


# 5. A hostile checkpoint: a torch.save archive whose pickle would call os.system on load.
class Hostile:
    def __reduce__(self):
        return (os.system, ('echo dif-fixture-was-executed > /tmp/dif-fixture-was-executed',))


torch.save({'Fingerprint': fingerprint, 'payload': Hostile()}, path('torch113-hostile.pt'))
print('written')
