#!/bin/sh
# The virtual bench, inside the guest (docs/vbench.md): runs on the host's userland (root
# file system shared read-only over 9p), as root. Loads the modules the bench needs, starts
# udev with the project's rules, then runs ONE pytest session over tests/vbench/guest and
# leaves its exit status, output and measurements in /tmp/vbench-out (shared with the host).
repo="$1"
out=/tmp/vbench-out
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp/home LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
mkdir -p "$HOME"
echo "vbench: guest userland up ($(cut -d' ' -f1 /proc/uptime) s)"

# The job the host asked for: VBENCH_* variables (fault injection, interpreter, bound).
[ -f "$out/job.env" ] && . "$out/job.env"
export DESKGATE_VBENCH_GUEST=1 DESKGATE_VBENCH_OUT="$out"
export DESKGATE_VBENCH_INJECT_FAILURE="${VBENCH_INJECT_FAILURE:-}"

# Kernel parts (Debian's modules, from the shared /lib/modules). configfs appears only once
# libcomposite is loaded.
for m in configfs libcomposite usb_f_hid usb_f_acm dummy_hcd usbhid hid_generic cdc_acm \
         uinput evdev ledtrig_timer; do
    modprobe "$m" || echo "vbench: modprobe $m failed"
done
# Four loopback sound cards, one substream each, so every ALSA id names one path
# (board/vbench/board.toml): 0 headset mic, 1 phone line out, 2 phone line in, 3 speaker.
# Playback on hw:N,0 is captured on hw:N,1.
modprobe snd_aloop index=0,1,2,3 enable=1,1,1,1 pcm_substreams=1,1,1,1 \
    id=vbmic,vbline,vbfar,vbspk || echo "vbench: modprobe snd_aloop failed"
mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
echo "vbench: modules loaded ($(cut -d' ' -f1 /proc/uptime) s)"

# udev with the project's rules: /run/udev/rules.d is read before /etc and /lib. The
# service group of the rules exists only in the guest's copy of /etc/group.
mkdir -p /run/udev/rules.d
cp "$repo"/udev/*.rules /run/udev/rules.d/ 2>/dev/null
if ! getent group deskgate >/dev/null; then
    mkdir -p /run/vbench/etc
    cp /etc/group /etc/passwd /run/vbench/etc/
    echo "deskgate:x:990:" >> /run/vbench/etc/group
    echo "deskgate:x:990:990:deskgate service:/nonexistent:/usr/sbin/nologin" >> /run/vbench/etc/passwd
    mount --bind /run/vbench/etc/group /etc/group
    mount --bind /run/vbench/etc/passwd /etc/passwd
fi
if [ -x /lib/systemd/systemd-udevd ]; then
    /lib/systemd/systemd-udevd --daemon --resolve-names=late 2>"$out/udevd.log" \
        || echo "vbench: systemd-udevd did not start"
fi
echo "vbench: udev up ($(cut -d' ' -f1 /proc/uptime) s)"
echo "vbench: booted"

cd "$repo" || exit 1
py="${VBENCH_PYTHON:-$repo/.venv/bin/python}"
# Extra pytest arguments from the host, one a line.
set --
if [ -f "$out/pytest.args" ]; then
    while IFS= read -r arg; do set -- "$@" "$arg"; done < "$out/pytest.args"
fi
timeout -k 10 "${VBENCH_GUEST_TIMEOUT:-900}" "$py" -m pytest -p no:cacheprovider -p no:hypothesispytest \
    --rootdir="$repo" -o addopts= -ra -v --junitxml="$out/junit.xml" \
    tests/vbench/guest "$@" >"$out/pytest.log" 2>&1
status=$?
echo "$status" > "$out/status"
echo "vbench: pytest exited $status ($(cut -d' ' -f1 /proc/uptime) s)"
sync
exit "$status"
