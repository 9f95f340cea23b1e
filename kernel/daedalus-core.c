// SPDX-License-Identifier: GPL-2.0-only
/*
 * daedalus-v4l2: a V4L2 memory-to-memory stateful video decoder whose
 * decoding runs in a userspace daemon reached through /dev/daedalus-v4l2.
 *
 * This file registers the platform device and, in its probe, the V4L2 and
 * media devices, the decoder video node and the daemon bridge.
 */
#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/of.h>
#include <linux/platform_device.h>
#include <linux/slab.h>

#include "daedalus.h"

static int video_nr = -1;
module_param(video_nr, int, 0444);
MODULE_PARM_DESC(video_nr,
		 "video node number, e.g. 10 for /dev/video10 (default: 10 on a Raspberry Pi 5, else the first free)");

/* The Raspberry Pi 5's device tree; Raspberry Pi OS's Chromium opens only /dev/video10. */
#define DAEDALUS_PI5_COMPATIBLE	"brcm,bcm2712"
#define DAEDALUS_PI5_VIDEO_NR	10

/*
 * The node number asked for: video_nr if set; on a Raspberry Pi 5 the one
 * Raspberry Pi OS's Chromium looks at, where its GPU sandbox admits no
 * other path; else the first free. video_register_device() takes the next
 * free number if the one asked for is held, so nothing that has it loses
 * it. A Pi 4's /dev/video10 is its own hardware decoder (bcm2835-codec):
 * only the Pi 5 asks for it.
 */
static int daedalus_video_nr(void)
{
	if (video_nr >= 0)
		return video_nr;
	return of_machine_is_compatible(DAEDALUS_PI5_COMPATIBLE) ? DAEDALUS_PI5_VIDEO_NR : -1;
}

/*
 * dma-contig where the kernel has it and a CMA area to take frames from:
 * the Raspberry Pi's does. Without CMA it gets no more than the page
 * allocator's largest block (4 MiB on x86), less than a 1080p P010 or a
 * 4K frame, so dma-sg then, or vmalloc where even that is not built.
 */
#if IS_ENABLED(CONFIG_VIDEOBUF2_DMA_CONTIG) && IS_ENABLED(CONFIG_DMA_CMA)
#define DAEDALUS_MEM_DEFAULT	DAEDALUS_MEM_DMA_CONTIG
#elif IS_ENABLED(CONFIG_VIDEOBUF2_DMA_SG)
#define DAEDALUS_MEM_DEFAULT	DAEDALUS_MEM_DMA_SG
#else
#define DAEDALUS_MEM_DEFAULT	DAEDALUS_MEM_VMALLOC
#endif

unsigned int daedalus_capture_mem = DAEDALUS_MEM_DEFAULT;
module_param_named(capture_mem, daedalus_capture_mem, uint, 0444);
MODULE_PARM_DESC(capture_mem,
		 "CAPTURE buffer memory: 0 = dma-contig (default with CMA), 1 = dma-sg (default without), 2 = vmalloc");

unsigned int daedalus_job_timeout_ms = 5000;
module_param_named(job_timeout_ms, daedalus_job_timeout_ms, uint, 0644);
MODULE_PARM_DESC(job_timeout_ms,
		 "fail a context whose daemon holds work without a word for this long (ms, 0 = never; default 5000)");

static struct platform_device *daedalus_pdev;

/* The last reference to the V4L2 device goes: nothing can reach us now. */
static void daedalus_release(struct v4l2_device *v4l2_dev)
{
	struct daedalus_dev *ddev = container_of(v4l2_dev, struct daedalus_dev, v4l2_dev);

	media_device_cleanup(&ddev->mdev);
	xa_destroy(&ddev->ctxs);
	kfree(ddev);
}

static void daedalus_init_vdev(struct daedalus_dev *ddev)
{
	struct video_device *vdev = &ddev->vdev;

	strscpy(vdev->name, DAEDALUS_CARD_NAME, sizeof(vdev->name));
	vdev->vfl_dir = VFL_DIR_M2M;
	vdev->fops = &daedalus_fops;
	vdev->ioctl_ops = &daedalus_ioctl_ops;
	vdev->device_caps = V4L2_CAP_VIDEO_M2M_MPLANE | V4L2_CAP_STREAMING;
	/* Locking is per open handle (see daedalus_ioctl), not per device. */
	vdev->lock = NULL;
	vdev->release = video_device_release_empty;
	vdev->v4l2_dev = &ddev->v4l2_dev;
	video_set_drvdata(vdev, ddev);
}

static int daedalus_probe(struct platform_device *pdev)
{
	struct daedalus_dev *ddev;
	int ret;

	ret = dma_coerce_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;

	ddev = kzalloc(sizeof(*ddev), GFP_KERNEL);
	if (!ddev)
		return -ENOMEM;
	ddev->dev = &pdev->dev;
	atomic_set(&ddev->contexts, 0);
	xa_init_flags(&ddev->ctxs, XA_FLAGS_ALLOC1);

	ddev->mdev.dev = &pdev->dev;
	strscpy(ddev->mdev.model, DAEDALUS_CARD_NAME, sizeof(ddev->mdev.model));
	strscpy(ddev->mdev.bus_info, "platform:" DAEDALUS_NAME, sizeof(ddev->mdev.bus_info));
	media_device_init(&ddev->mdev);
	ddev->v4l2_dev.mdev = &ddev->mdev;

	ret = v4l2_device_register(&pdev->dev, &ddev->v4l2_dev);
	if (ret) {
		media_device_cleanup(&ddev->mdev);
		kfree(ddev);
		return ret;
	}
	/* From here on the V4L2 device's refcount owns ddev. */
	ddev->v4l2_dev.release = daedalus_release;

	ret = daedalus_bridge_register(ddev);
	if (ret)
		goto err_v4l2;

	daedalus_init_vdev(ddev);
	ret = video_register_device(&ddev->vdev, VFL_TYPE_VIDEO, daedalus_video_nr());
	if (ret) {
		v4l2_err(&ddev->v4l2_dev, "cannot register the video node: %d\n", ret);
		goto err_bridge;
	}

	ret = daedalus_media_register(&ddev->mdev, &ddev->vdev, &ddev->media);
	if (ret) {
		v4l2_err(&ddev->v4l2_dev, "cannot register the media device: %d\n", ret);
		goto err_vdev;
	}

	ret = daedalus_sl_register(ddev);
	if (ret)
		goto err_media;

	daedalus_debugfs_init(ddev);
	platform_set_drvdata(pdev, ddev);
	v4l2_info(&ddev->v4l2_dev, "decoder %s, bridge /dev/%s\n",
		  video_device_node_name(&ddev->vdev), DAEDALUS_BRIDGE_NAME);
	return 0;

err_media:
	daedalus_media_unregister(&ddev->mdev, &ddev->media);
err_vdev:
	video_unregister_device(&ddev->vdev);
err_bridge:
	daedalus_bridge_unregister(ddev);
err_v4l2:
	v4l2_device_unregister(&ddev->v4l2_dev);
	v4l2_device_put(&ddev->v4l2_dev);
	return ret;
}

static void daedalus_remove(struct platform_device *pdev)
{
	struct daedalus_dev *ddev = platform_get_drvdata(pdev);

	daedalus_debugfs_exit(ddev);
	daedalus_sl_unregister(ddev);
	daedalus_media_unregister(&ddev->mdev, &ddev->media);
	video_unregister_device(&ddev->vdev);
	daedalus_bridge_unregister(ddev);
	v4l2_device_unregister(&ddev->v4l2_dev);
	v4l2_device_put(&ddev->v4l2_dev);
}

static struct platform_driver daedalus_driver = {
	.probe = daedalus_probe,
	.DAEDALUS_PLATFORM_REMOVE = daedalus_remove,
	.driver = {
		.name = DAEDALUS_NAME,
		/* Unbinding under open handles would pull the device away. */
		.suppress_bind_attrs = true,
	},
};

static int __init daedalus_init(void)
{
	int ret;

	if (!daedalus_capture_mem_ops(daedalus_capture_mem)) {
		pr_err(DAEDALUS_NAME ": capture_mem=%u: expected 0 (dma-contig), 1 (dma-sg) or 2 (vmalloc), of those this kernel has\n",
		       daedalus_capture_mem);
		return -EINVAL;
	}

	ret = platform_driver_register(&daedalus_driver);
	if (ret)
		return ret;

	daedalus_pdev = platform_device_register_simple(DAEDALUS_NAME, PLATFORM_DEVID_NONE,
							NULL, 0);
	if (IS_ERR(daedalus_pdev)) {
		platform_driver_unregister(&daedalus_driver);
		return PTR_ERR(daedalus_pdev);
	}
	/* A failed probe leaves the device unbound: fail the load, not later. */
	if (!platform_get_drvdata(daedalus_pdev)) {
		platform_device_unregister(daedalus_pdev);
		platform_driver_unregister(&daedalus_driver);
		return -ENODEV;
	}
	return 0;
}

static void __exit daedalus_exit(void)
{
	platform_device_unregister(daedalus_pdev);
	platform_driver_unregister(&daedalus_driver);
}

module_init(daedalus_init);
module_exit(daedalus_exit);

MODULE_DESCRIPTION("V4L2 stateful video decoder backed by a userspace daemon");
MODULE_AUTHOR("The daedalus-v4l2 developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(DAEDALUS_VERSION);
